from call_records.main import run

run()
