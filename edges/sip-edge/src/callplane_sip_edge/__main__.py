from callplane_sip_edge.main import run

run()
