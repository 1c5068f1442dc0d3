"""sip-edge: callplane's reference SIP edge adapter.

Kamailio hands each new INVITE to this process over evapi; it publishes the call as
`InboundCall`, waits (bounded) for the `CallDecision`, and answers Kamailio with a SIP plan:
relay to these destinations in this order, or reject with this code. Dialog progress comes back
as evapi events and leaves as `CallStatus`.
"""

SERVICE_NAME = "sip-edge"
