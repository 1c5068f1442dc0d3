from number_inventory.main import run

run()
