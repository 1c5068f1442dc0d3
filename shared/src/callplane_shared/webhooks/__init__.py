"""The one way callplane sends HTTP to a customer (masking callbacks, status reports, and every
later sender: call events, IVR notifications, balance notifications).

```python
from callplane_shared.webhooks import AddressPolicy, SenderLimits, SigningKey, WebhookError
from callplane_shared.webhooks import WebhookSender

sender = WebhookSender(AddressPolicy.parse(""), user_agent="callplane-x/1", limits=SenderLimits())
try:
    answer = await sender.post(
        "https://hooks.example.com/cb", {"callId": "c-1"},
        customer="acct-1",                      # admission is per customer
        signing=SigningKey("my-app", "secret"),  # or None: sent unsigned
        connect_timeout=1.0, budget=3.0,         # seconds; everything happens inside `budget`
    )
except WebhookError as exc:
    print(exc.reason, exc.outcome)               # for the decision/report, and for metrics
await sender.aclose()
```

What it guarantees:
- Only http/https URLs without user-info; redirects never followed; environment proxies ignored.
- The host is resolved once, asynchronously, inside the budget (`dns`); every answer must be
  globally routable (`addresses`, allowlist aside), and the connection goes to the vetted address
  with the hostname kept for `Host`, SNI and the certificate (`pinning`): no DNS rebinding.
- Admission per customer and per resolved address before anything is sent (`admission`): a full
  share fails at once with outcome `busy`, so the caller takes its backup path instead of waiting.
- Signed with both schemes of `callplane_shared.signing` when a key is given.
- Durable queues retry on one schedule: `retry_delay` (exponential, jittered), and there is
  one durable queue (`callplane_shared.webhooks.queue`: claim, backoff, dead letter, fair share).
- Answers: any 2xx; with `expect_json`, `application/json` (or `+json`) only, read up to
  `max_response_bytes` (streamed and cut off there).
"""

from callplane_shared.webhooks.addresses import AddressPolicy
from callplane_shared.webhooks.dns import DnsResolver, NameResolver, ResolutionError
from callplane_shared.webhooks.errors import OUTCOMES, WebhookError
from callplane_shared.webhooks.retry import retry_delay
from callplane_shared.webhooks.sender import SenderLimits, SigningKey, WebhookSender, request_target

__all__ = [
    "OUTCOMES",
    "AddressPolicy",
    "DnsResolver",
    "NameResolver",
    "ResolutionError",
    "SenderLimits",
    "SigningKey",
    "WebhookError",
    "WebhookSender",
    "request_target",
    "retry_delay",
]
