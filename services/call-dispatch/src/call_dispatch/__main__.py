from call_dispatch.main import run

run()
