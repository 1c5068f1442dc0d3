from callplane_shared.cli import run

run()
