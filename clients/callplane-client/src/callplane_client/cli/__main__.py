from callplane_client.cli import run

run()
