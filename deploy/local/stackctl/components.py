"""The processes of the local stack: how each is provisioned, started and asked if it is ready."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from stackctl import kafka, probes
from stackctl.layout import Layout
from stackctl.nginx import PUBLIC_PORT, render
from stackctl.provision import ProvisionError, SourcePatch, go_tool

MONGODB = "mongodb://127.0.0.1:27017/"
OTLP_GRPC = "http://127.0.0.1:4317"
JAEGER_QUERY = "http://127.0.0.1:16686"

Argv = Sequence[str]


@dataclass(frozen=True)
class Component:
    name: str
    ports: Mapping[int, str]  # port → what it serves, for "port already in use" messages
    prepare: Callable[[Layout], Argv]  # provision and configure; returns the command line
    ready: Callable[[], bool]
    timeout_seconds: float = 60.0
    env: Callable[[Layout], Mapping[str, str]] = field(default=lambda _: {})


def _kafka_node(node: kafka.KafkaNode, cluster: tuple[kafka.KafkaNode, ...]) -> Component:
    ports: dict[int, str] = {}
    if node.broker_port is not None:
        ports[node.broker_port] = "Kafka broker"
    if node.controller_port is not None:
        ports[node.controller_port] = "Kafka controller"
    if len(cluster) > 1:
        ports = {port: f"{what} {node.node_id}" for port, what in ports.items()}
    brokers = len(kafka.brokers_of(cluster))
    # A broker is ready when it serves metadata naming every broker (the quorum has formed and
    # all registered); a dedicated controller when it listens (the brokers then show the rest).
    ready = (
        (lambda: probes.kafka_metadata(node.address, brokers=brokers))
        if node.is_broker
        else (lambda: probes.tcp_open(node.address))
    )
    return Component(
        node.name,
        ports,
        lambda layout: kafka.prepare(layout, node, cluster),
        ready,
        # A cluster is ready when its last node has joined the quorum: on two busy cores that
        # took longer than one node's start.
        timeout_seconds=90 * brokers,
    )


def kafka_components(brokers: int) -> tuple[Component, ...]:
    cluster = kafka.nodes(brokers)
    return tuple(_kafka_node(node, cluster) for node in cluster)


# FerretDB 1.24's SQLite backend creates each collection's unique `_id_` index on the
# expression `_ferretdb_sjson->"_id"` but looks documents up by `_ferretdb_sjson->'$._id'`: the
# same value, a different expression, so SQLite never uses the index and every lookup by `_id`
# (find, update, delete) scans the whole collection. Measured on a stack after one benchmark:
# 45 ms per `_id` lookup in 3,500 call records, and call-records ingesting 6 records/s with
# FerretDB at 90 % CPU. Querying with the index's own expression makes it O(log n).
FERRETDB_ID_INDEX = SourcePatch(
    tag="idindex",
    path="internal/backends/sqlite/metadata/metadata.go",
    old="IDColumn = DefaultColumn + \"->'$._id'\"",
    new="IDColumn = DefaultColumn + \"->'_id'\"",
)
# And it pushes down nothing but an `_id` alone: every conditional update
# (`{"_id": ..., "state": ...}`) and every query by account (`{"accountId": ...}`: a customer's
# numbers, ledger, payments, routes, call history) scanned the whole collection although our
# indexes lead with those fields. Measured through the console with 1,000 numbers: the numbers
# list took 700-1,080 ms and the balance 117-160 ms. The patch pushes down every string equality
# on `_id` and on the fields named in CALLPLANE_FERRETDB_SCALAR_FIELDS, with the expression the
# indexes are built on (`->'field'`), so SQLite answers from the index. Only fields that are never
# arrays may be named: MongoDB's `{"f": "x"}` also matches `f: ["x", ...]`, which the pushed-down
# SQL does not. FerretDB's handlers apply the whole filter again to what the backend returns, so
# a pushdown narrows the rows read, never the result. Explain reports the same clause (the
# store's integration test asserts the plan names the index).
FERRETDB_PUSHDOWN_IMPORTS = SourcePatch(
    tag="pushdown",
    path="internal/backends/sqlite/query.go",
    old="""import (
	"fmt"
	"strings"
""",
    new="""import (
	"fmt"
	"os"
	"strings"

	"github.com/FerretDB/FerretDB/internal/handler/sjson"
""",
)
FERRETDB_PUSHDOWN_CLAUSE = SourcePatch(
    tag="where",
    path="internal/backends/sqlite/query.go",
    old="""// prepareOrderByClause returns ORDER BY clause for given sort document.""",
    new="""// callplaneScalarFields are fields never held as arrays: string equality on them can be
// pushed down (CALLPLANE_FERRETDB_SCALAR_FIELDS: comma-separated letters, digits and _).
var callplaneScalarFields = func() map[string]bool {
	const allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
	fields := map[string]bool{}
	for _, f := range strings.Split(os.Getenv("CALLPLANE_FERRETDB_SCALAR_FIELDS"), ",") {
		if f != "" && strings.Trim(f, allowed) == "" {
			fields[f] = true
		}
	}
	return fields
}()

// callplaneWhereClause returns the WHERE clause of the filter's pushed-down equalities.
func callplaneWhereClause(filter *types.Document) (string, []any) {
	if filter == nil {
		return "", nil
	}
	var conditions []string
	var args []any
	for _, k := range filter.Keys() {
		v, _ := filter.Get(k)
		_, isString := v.(string)
		_, isObjectID := v.(types.ObjectID)
		switch {
		case k == "_id" && (isString || isObjectID):
			conditions = append(conditions, metadata.IDColumn+` = ?`)
		case isString && callplaneScalarFields[k]:
			conditions = append(conditions, fmt.Sprintf(`%s->'%s' = ?`, metadata.DefaultColumn, k))
		default:
			continue
		}
		args = append(args, string(must.NotFail(sjson.MarshalSingleValue(v))))
	}
	if len(conditions) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conditions, ` AND `), args
}

// prepareOrderByClause returns ORDER BY clause for given sort document.""",
)
FERRETDB_PUSHDOWN_QUERY = SourcePatch(
    tag="query",
    path="internal/backends/sqlite/collection.go",
    old="""	if params.Filter.Len() == 1 {
		v, _ := params.Filter.Get("_id")
		switch v.(type) {
		case string, types.ObjectID:
			whereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)
			args = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
		}
	}
""",
    new="""	whereClause, args = callplaneWhereClause(params.Filter)
""",
)
FERRETDB_PUSHDOWN_EXPLAIN = SourcePatch(
    tag="explain",
    path="internal/backends/sqlite/collection.go",
    old="""	if params.Filter.Len() == 1 {
		v, _ := params.Filter.Get("_id")
		switch v.(type) {
		case string, types.ObjectID:
			filterPushdown = true
			whereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)
			args = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
		}
	}
""",
    new="""	whereClause, args = callplaneWhereClause(params.Filter)
	filterPushdown = whereClause != ""
""",
)
# FerretDB 1.24 updates a document in two steps: it reads it (a query), applies the update in
# memory, then writes the whole document back in its own transaction. Two updates of one
# document at once can both read the old state, and the second write then undoes the first: seen
# in `make test`, where publishing a number's staged event (`$pullAll` of its outbox entries)
# read the leased number, a voice-action change committed meanwhile, and the publisher's write
# restored the number without its action (the history said version 2, the number version 1).
# MongoDB applies each update to a document atomically. One read-modify-write at a time per
# process restores that (SQLite takes one writer at a time anyway; reads are not held).
FERRETDB_UPDATE_LOCK_DECL = SourcePatch(
    tag="updlock",
    path="internal/handler/msg_update.go",
    old="// updateDocument iterate through all documents in collection and update them.",
    new="""// callplaneWrites makes each update's read, change and write one step for other updates.
var callplaneWrites sync.Mutex

// updateDocument iterate through all documents in collection and update them.""",
)
FERRETDB_UPDATE_LOCK_IMPORT = SourcePatch(
    tag="updimport",
    path="internal/handler/msg_update.go",
    old="""import (
	"context"
	"fmt"
""",
    new="""import (
	"context"
	"fmt"
	"sync"
""",
)
FERRETDB_UPDATE_LOCK = SourcePatch(
    tag="update",
    path="internal/handler/msg_update.go",
    old="""	for _, u := range params.Updates {
		c, err := db.Collection(params.Collection)""",
    new="""	callplaneWrites.Lock()
	defer callplaneWrites.Unlock()

	for _, u := range params.Updates {
		c, err := db.Collection(params.Collection)""",
)
_FIND_AND_MODIFY_SIGNATURE = (
    "func (h *Handler) findAndModifyDocument(ctx context.Context, "
    "params *common.FindAndModifyParams) (*findAndModifyResult, error) {\n"
)
FERRETDB_FIND_AND_MODIFY_LOCK = SourcePatch(
    tag="findmodify",
    path="internal/handler/msg_findandmodify.go",
    old=_FIND_AND_MODIFY_SIGNATURE,
    new=_FIND_AND_MODIFY_SIGNATURE
    + """	callplaneWrites.Lock()
	defer callplaneWrites.Unlock()

""",
)
# The fields of our documents that equality may be pushed down on (see FERRETDB_PUSHDOWN_*):
# each leads an index, and no collection stores any of them as an array.
FERRETDB_SCALAR_FIELDS = (
    "accountId",
    "callId",
    "leaseState",
    "number",
    "numberKey",
    "reference",
    "state",
    "status",
    "stream",
)


def _ferretdb(layout: Layout) -> Argv:
    binary = go_tool(
        layout,
        "ferretdb",
        "github.com/FerretDB/FerretDB",
        ".",
        patches=(
            FERRETDB_ID_INDEX,
            FERRETDB_PUSHDOWN_IMPORTS,
            FERRETDB_PUSHDOWN_CLAUSE,
            FERRETDB_PUSHDOWN_QUERY,
            FERRETDB_PUSHDOWN_EXPLAIN,
            FERRETDB_UPDATE_LOCK_IMPORT,
            FERRETDB_UPDATE_LOCK_DECL,
            FERRETDB_UPDATE_LOCK,
            FERRETDB_FIND_AND_MODIFY_LOCK,
        ),
    )
    data = layout.data_dir("ferretdb")
    return [
        str(binary),
        # WAL without an fsync per commit (SQLite's synchronous=NORMAL): a commit that fsyncs
        # holds the one write lock of the database for milliseconds, and under the writes of
        # every service the other writers sleep in SQLite's busy handler. A crash of FerretDB
        # loses nothing committed; only an OS crash may lose the last commits (local stack).
        f"--sqlite-url=file:{data}/?_pragma=synchronous(normal)",
        "--listen-addr=127.0.0.1:27017",
        "--log-level=warn",
    ]


def _jaeger(layout: Layout) -> Argv:
    binary = go_tool(
        layout,
        "jaeger",
        "github.com/jaegertracing/jaeger",
        "github.com/jaegertracing/jaeger/cmd/jaeger",
    )
    return [str(binary), "--config", str(layout.repo / "deploy/local/jaeger/config.yaml")]


def _nginx(layout: Layout) -> Argv:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise ProvisionError("nginx is not installed: `sudo apt-get install nginx-light`")
    conf = render(layout)
    return [binary, "-p", str(conf.parent), "-c", str(conf), "-e", "stderr"]


INFRASTRUCTURE: tuple[Component, ...] = (
    *kafka_components(1),
    Component(
        "ferretdb",
        {27017: "MongoDB wire (FerretDB)"},
        _ferretdb,
        lambda: probes.mongo_ping(MONGODB),
        env=lambda _: {"CALLPLANE_FERRETDB_SCALAR_FIELDS": ",".join(FERRETDB_SCALAR_FIELDS)},
    ),
    Component(
        "jaeger",
        {4317: "OTLP gRPC", 4318: "OTLP HTTP", 16686: "Jaeger query"},
        _jaeger,
        lambda: probes.http_ok(f"{JAEGER_QUERY}/api/services"),
    ),
    Component(
        "nginx",
        {PUBLIC_PORT: "public API (nginx)"},
        _nginx,
        lambda: probes.http_ok(f"http://127.0.0.1:{PUBLIC_PORT}/nginx-health"),
    ),
)


def infrastructure(brokers: int) -> tuple[Component, ...]:
    """INFRASTRUCTURE with Kafka as one node or as the three-node cluster."""
    others = tuple(c for c in INFRASTRUCTURE if not c.name.startswith("kafka"))
    return (*kafka_components(brokers), *others)


def _dev_settings(layout: Layout) -> dict[str, str]:
    values: dict[str, str] = {}
    for raw in (layout.repo / "deploy/local/services.env").read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = os.environ.get(key.strip(), value.strip())
    return values


def _service(name: str, port: int) -> Component:
    module = name.replace("-", "_")

    def prepare(_: Layout) -> Argv:
        return [sys.executable, "-m", module]

    def env(layout: Layout) -> Mapping[str, str]:
        return {
            **_dev_settings(layout),
            "HTTP_PORT": str(port),
            "KAFKA_BOOTSTRAP_SERVERS": os.environ.get(
                "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrap(kafka.running_brokers(layout))
            ),
            "MONGODB_URI": os.environ.get("MONGODB_URI", MONGODB),
            "OTEL_EXPORTER_OTLP_ENDPOINT": os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", OTLP_GRPC),
            "OTEL_SERVICE_NAME": name,
        }

    return Component(
        name,
        {port: f"{name} HTTP"},
        prepare,
        lambda: probes.http_ok(f"http://127.0.0.1:{PUBLIC_PORT}/_services/{name}/readyz"),
        env=env,
    )


def services(layout: Layout) -> tuple[Component, ...]:
    table = yaml.safe_load((layout.repo / "deploy/routes.yaml").read_text())
    return tuple(_service(name, spec["port"]) for name, spec in table["services"].items())
