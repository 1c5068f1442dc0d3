from number_masking.main import run

run()
