from action_config.main import run

run()
