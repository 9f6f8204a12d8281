#!/usr/bin/env bash
# Tests of the Helm chart, the container and deployment files, offline, with the pinned tools of
# scripts/install-tools.sh (.tools/bin and the .tools/venv). Every check runs even when an
# earlier one failed; the summary lists them and the exit status is non-zero if any failed.
#
#   bash scripts/install-tools.sh && bash scripts/test-chart.sh
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2
CHART=charts/slack-metrics
BIN="$ROOT/.tools/bin"
VENV="$ROOT/.tools/venv"
PY="$VENV/bin/python"
SCHEMAS="$ROOT/.tools/k8s-schemas"
# Kubernetes versions the renderings are validated against: the oldest the chart supports
# (CronJob timeZone is GA since 1.27; 1.30 is the oldest the distributions still maintain) and
# a current one.
KUBE_VERSIONS=(1.30.0 1.33.0)
RELEASE=slack-metrics
NAMESPACE=slack-metrics
# The git-ignored values file scripts/make-secrets.sh writes (skaffold passes it to helm).
SECRETS_FILE="values-secrets.yaml"

export PATH="$BIN:$VENV/bin:$PATH"
export HELM_CACHE_HOME="$ROOT/.tools/helm/cache" HELM_CONFIG_HOME="$ROOT/.tools/helm/config" \
  HELM_DATA_HOME="$ROOT/.tools/helm/data"

for tool in helm helm-unittest ct kube-score kubeconform helm-docs actionlint yamllint yamale shellcheck hadolint; do
  [[ -x "$BIN/$tool" ]] || { echo "missing $BIN/$tool: run 'bash scripts/install-tools.sh' first" >&2; exit 2; }
done
[[ -x "$PY" && -d "$SCHEMAS" ]] || { echo "missing .tools/venv or .tools/k8s-schemas: run scripts/install-tools.sh" >&2; exit 2; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
PASSED=()
FAILED=()
START=$(date +%s)

# run NAME COMMAND...: runs one check, output indented, and records the outcome.
run() {
  local name="$1"; shift
  local t0; t0=$(date +%s)
  printf '\n==> %s\n' "$name"
  if "$@" 2>&1 | sed 's/^/    /'; then
    PASSED+=("$name ($(( $(date +%s) - t0 ))s)")
  else
    FAILED+=("$name")
    printf '    FAILED: %s\n' "$name"
  fi
}

# Values sets every rendering-based check covers: the defaults, both environments and the
# ci/ files (which `ct lint` also picks up).
VALUE_SETS=("$CHART/values.yaml" "$CHART/values-minikube.yaml" "$CHART/values-cloud.yaml")
for f in "$CHART"/ci/*-values.yaml; do VALUE_SETS+=("$f"); done

render() { # render VALUES_FILE [helm args...] -> manifest on stdout
  local values="$1"; shift
  helm template "$RELEASE" "$CHART" --namespace "$NAMESPACE" -f "$values" "$@"
}

check_helm_lint() {
  local rc=0 f
  for f in "${VALUE_SETS[@]}"; do
    echo "helm lint --strict -f $f"
    helm lint --strict --namespace "$NAMESPACE" "$CHART" -f "$f" >"$WORK/lint.out" 2>&1 \
      || { cat "$WORK/lint.out"; rc=1; }
  done
  return $rc
}

check_schema_rejects_bad_values() {
  # values.schema.json must reject typos and wrong types; a chart that accepted them would
  # silently ignore an operator's setting.
  local rc=0 args
  while IFS= read -r args; do
    # shellcheck disable=SC2086 # word splitting of the --set arguments is intended
    if helm template "$RELEASE" "$CHART" $args >/dev/null 2>"$WORK/schema.err"; then
      echo "accepted invalid values: $args"; rc=1
    else
      echo "rejected as expected: $args"
    fi
  done <<'EOF'
--set servce.type=NodePort
--set service.type=Ingress
--set api.port=http
--set autoscaling.enabled=yes
--set ingress.tls.enable=true
--set postgresql.enabled=false
--set secrets.apiTokens=short
--set image.pullPolicy=Sometimes
--set prometheusRule.enable=true
--set prometheusRule.high5xxRate.ratio=5
--set prometheusRule.collectionStale.for=2hours
--set grafana.dashboard.enable=true
--set service.nodePort=80
EOF
  return $rc
}

check_ct_lint() {
  ct lint --config charts/ct.yaml
}

check_kubeconform() {
  # Strict: unknown fields are errors. ServiceMonitor and PrometheusRule are Prometheus Operator
  # CRDs for which no registry package ships a schema; their fields are covered by
  # tests/services_test.yaml and tests/monitoring_test.yaml, and the rule expressions by
  # check_monitoring below.
  local rc=0 f v
  for f in "${VALUE_SETS[@]}"; do
    render "$f" >"$WORK/manifest.yaml" || { echo "helm template failed for $f"; rc=1; continue; }
    for v in "${KUBE_VERSIONS[@]}"; do
      echo "kubeconform -strict (Kubernetes $v) $f"
      kubeconform -strict -summary -kubernetes-version "$v" -skip ServiceMonitor,PrometheusRule \
        -schema-location "$SCHEMAS/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
        "$WORK/manifest.yaml" || rc=1
    done
  done
  return $rc
}

check_unittest() {
  helm-unittest --color=false "$CHART"
}

check_kube_score() {
  # kube-score exits non-zero on any CRITICAL finding. Checks left out, and why:
  #  - pod-networkpolicy's egress half stays a WARNING (printed, not failing): app pods must reach
  #    DNS, PostgreSQL and the Slack API on the internet, which a portable NetworkPolicy cannot
  #    narrow to a host name; PostgreSQL itself gets an egress deny-all.
  #  - Per-object ignore: the PostgreSQL StatefulSet carries
  #    `kube-score/ignore: container-security-context-user-group-id`, because the official
  #    image's postgres user is uid 999 (below kube-score's 10000); it is otherwise restricted.
  # Optional checks turned on: seccomp profile and container ports.
  render "$CHART/values-cloud.yaml" >"$WORK/cloud.yaml" || return 1
  kube-score score --output-format ci \
    --enable-optional-test container-seccomp-profile \
    --enable-optional-test container-ports-check \
    "$WORK/cloud.yaml" >"$WORK/kube-score.out"
  local rc=$?
  grep -v '^\[OK\]' "$WORK/kube-score.out" | grep -v '^\[SKIPPED\]' || true
  echo "$(grep -c '^\[OK\]' "$WORK/kube-score.out") checks OK, $(grep -c '^\[CRITICAL\]' "$WORK/kube-score.out") critical"
  return $rc
}

check_helm_docs() {
  # Generate into a copy and compare, so the check never rewrites the working tree.
  mkdir -p "$WORK/docs"
  cp -r "$CHART" "$WORK/docs/"
  helm-docs --log-level warning --chart-search-root "$WORK/docs" >/dev/null || return 1
  if ! diff -u "$CHART/README.md" "$WORK/docs/slack-metrics/README.md"; then
    echo "charts/slack-metrics/README.md is out of date: run .tools/bin/helm-docs -c charts"
    return 1
  fi
  # helm-docs lists a values key without a `# --` comment with an empty description.
  "$PY" - "$CHART/README.md" <<'EOF'
import sys
rows = [l for l in open(sys.argv[1]) if l.startswith("| ") and not l.startswith("| Key ")]
bare = [r.split("|")[1].strip() for r in rows if r.rstrip().rstrip("|").split("|")[-1].strip() == ""]
if not rows:
    sys.exit("no values table in README.md")
if bare:
    sys.exit("values without a description: " + ", ".join(bare))
print(f"{len(rows)} values documented")
EOF
}

check_actionlint() {
  local files=(.github/workflows/*.yml)
  [[ -e "${files[0]}" ]] || { echo "no workflows under .github/workflows"; return 1; }
  actionlint -shellcheck "$BIN/shellcheck" "${files[@]}"
}

check_shellcheck() {
  shellcheck scripts/*.sh scripts/lib/*.sh .ci/run
}

check_hadolint() {
  hadolint Dockerfile
}

check_yamllint() {
  yamllint -c charts/lintconf.yaml skaffold.yaml docs/argocd-application.yaml .github/workflows/*.yml \
    "$CHART/values-minikube.yaml" "$CHART/values-cloud.yaml" "$CHART"/ci/*.yaml
}

check_make_secrets() {
  # The secrets generator: mode 600, values the chart's schema accepts, no overwrite without
  # --force.
  local dir="$WORK/secrets" out
  mkdir -p "$dir"
  out="$dir/$SECRETS_FILE"
  bash scripts/make-secrets.sh --output "$out" || return 1
  [[ "$(stat -c %a "$out")" == 600 ]] || { echo "mode is $(stat -c %a "$out"), want 600"; return 1; }
  helm template "$RELEASE" "$CHART" -f "$out" >/dev/null || { echo "chart rejects $out"; return 1; }
  cp "$out" "$dir/before"
  if bash scripts/make-secrets.sh --output "$out" >/dev/null 2>&1; then
    echo "overwrote an existing file without --force"; return 1
  fi
  cmp -s "$out" "$dir/before" || { echo "existing file changed"; return 1; }
  bash scripts/make-secrets.sh --output "$out" --force >/dev/null || return 1
  ! cmp -s "$out" "$dir/before" || { echo "--force did not regenerate"; return 1; }
  git check-ignore -q "$SECRETS_FILE" || { echo "$SECRETS_FILE is not git-ignored"; return 1; }
  echo "make-secrets: mode 600, accepted by the chart, kept without --force, ignored by git"
}

check_cross() {
  # The chart against the code it deploys: probe paths and port, worker commands, environment
  # variable names, and skaffold.yaml against the chart's values.
  render "$CHART/ci/full-values.yaml" >"$WORK/full.yaml" || return 1
  render "$CHART/values.yaml" >"$WORK/default.yaml" || return 1
  render "$CHART/values-minikube.yaml" >"$WORK/minikube.yaml" || return 1
  "$PY" - "$WORK/full.yaml" "$WORK/default.yaml" "$WORK/minikube.yaml" <<'EOF'
import pathlib, re, sys, yaml

ROOT = pathlib.Path(".")
errors = []

def need(path):
    p = ROOT / path
    if not p.is_file():
        errors.append(f"{path} is missing")
        return ""
    return p.read_text()

docs = [d for f in sys.argv[1:] for d in yaml.safe_load_all(open(f)) if d]

def pod_spec(doc):
    kind = doc["kind"]
    if kind in ("Deployment", "StatefulSet", "Job"):
        return doc["spec"]["template"]["spec"]
    if kind == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if kind == "Pod":
        return doc["spec"]
    return None

app_containers = []  # (resource, container) running the app image's entry points
for doc in docs:
    spec = pod_spec(doc)
    if not spec:
        continue
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        args = c.get("args") or []
        if args and str(args[0]).startswith("dist/apps/"):
            app_containers.append((f'{doc["kind"]}/{doc["metadata"]["name"]}', c))
        elif c.get("name") == "wait-for-db":
            app_containers.append((f'{doc["kind"]}/{doc["metadata"]["name"]}', c))
if not app_containers:
    errors.append("no app containers found in the renderings")

# 1. Probe paths and port of the API against the health controller and the config default.
controller = need("apps/api/src/health/health.controller.ts")
prefix = re.search(r"@Controller\(\s*['\"]([^'\"]*)['\"]", controller)
routes = {"/" + "/".join(p for p in (prefix.group(1) if prefix else "", g) if p).strip("/")
          for g in re.findall(r"@Get\(\s*['\"]([^'\"]*)['\"]", controller)}
if controller and not routes:
    errors.append("no @Get routes found in health.controller.ts")
env_source = need("libs/config/src/environment.ts")
port_default = re.search(r"^\s*PORT\s*:\s*number\s*=\s*(\d+)", env_source, re.M)
if env_source and not port_default:
    errors.append("no `PORT: number = <default>` in environment.ts")
for doc in docs:
    if doc["kind"] != "Deployment":
        continue
    for c in doc["spec"]["template"]["spec"]["containers"]:
        ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            get = (c.get(probe) or {}).get("httpGet")
            if not get:
                errors.append(f"{c['name']}: {probe} is not an httpGet probe")
                continue
            if routes and get["path"] not in routes:
                errors.append(f"{c['name']}: {probe} path {get['path']} is not a route of the health "
                              f"controller ({', '.join(sorted(routes))})")
        if port_default and int(port_default.group(1)) not in ports.values():
            errors.append(f"{c['name']}: container ports {ports} lack the app's default PORT {port_default.group(1)}")
        if "/health/ready" not in [(c.get(p) or {}).get("httpGet", {}).get("path") for p in ("readinessProbe",)]:
            errors.append(f"{c['name']}: readiness must use /health/ready")

# 2. Worker commands of Jobs and CronJobs against the nest-commander @Command names.
commands = set()
worker_dir = ROOT / "apps/worker/src"
if not worker_dir.is_dir():
    errors.append("apps/worker/src is missing")
else:
    for ts in worker_dir.rglob("*.ts"):
        for block in re.findall(r"@Command\(\s*\{(.*?)\}\s*\)", ts.read_text(), re.S):
            name = re.search(r"\bname\s*:\s*['\"]([^'\"]+)['\"]", block)
            if name:
                commands.add(name.group(1))
    if not commands:
        errors.append("no @Command({ name: ... }) found under apps/worker/src")
used_commands = set()
for where, c in app_containers:
    args = c.get("args") or []
    if args and args[0] == "dist/apps/worker/main.js":
        if len(args) < 2:
            errors.append(f"{where}: worker started without a command")
            continue
        used_commands.add(args[1])
        if commands and args[1] not in commands:
            errors.append(f"{where}: worker command '{args[1]}' is not a @Command "
                          f"(known: {', '.join(sorted(commands))})")
    elif args and args[0] not in ("dist/apps/api/main.js",):
        errors.append(f"{where}: unknown entry point {args[0]}")
for expected in ("migrate", "aggregate", "collect"):
    if expected not in used_commands:
        errors.append(f"no Job or CronJob runs `worker {expected}`")

# 3. Every environment variable given to an app container is a property of EnvironmentVariables.
body = re.search(r"export class EnvironmentVariables\s*\{(.*?)^\}", env_source, re.S | re.M)
props = set(re.findall(r"^\s{2}([A-Z][A-Z0-9_]*)\??!?\s*:", body.group(1), re.M)) if body else set()
if env_source and not props:
    errors.append("no properties found in class EnvironmentVariables")
configmaps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
checked = set()
for where, c in app_containers:
    names = [e["name"] for e in c.get("env", [])]
    for src in c.get("envFrom", []):
        ref = src.get("configMapRef", {}).get("name")
        if ref not in configmaps:
            errors.append(f"{where}: envFrom ConfigMap {ref} is not rendered")
            continue
        names += list(configmaps[ref])
    for n in names:
        checked.add(n)
        if props and n not in props:
            errors.append(f"{where}: environment variable {n} is not a property of EnvironmentVariables")
# Secrets only from Secrets: no secret-looking key in the app ConfigMap.
for name, data in configmaps.items():
    for key in data:
        if re.search(r"PASSWORD|TOKEN|SECRET", key):
            errors.append(f"ConfigMap {name} holds {key}; secrets belong in the Secret")

# 4. skaffold.yaml against the chart: values files exist (the make-secrets output may be
# absent: it is git-ignored), and every set key exists in values.yaml.
skaffold_text = need("skaffold.yaml")
values = yaml.safe_load(need("charts/slack-metrics/values.yaml") or "{}") or {}
def has_path(tree, dotted):
    node = tree
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True
releases = []
if skaffold_text:
    for cfg in yaml.safe_load_all(skaffold_text):
        if not cfg:
            continue
        sections = [cfg] + cfg.get("profiles", [])
        for sec in sections:
            releases += ((sec.get("deploy") or {}).get("helm") or {}).get("releases", [])
            for patch in sec.get("patches", []):
                if "/valuesFiles" in patch.get("path", "") and isinstance(patch.get("value"), str):
                    releases.append({"valuesFiles": [patch["value"]]})
    if not any(r.get("chartPath") == "charts/slack-metrics" for r in releases):
        errors.append("skaffold.yaml deploys no helm release of charts/slack-metrics")
    for r in releases:
        for vf in r.get("valuesFiles", []):
            if vf == "values-secrets.yaml":
                continue
            if not (ROOT / vf).is_file():
                errors.append(f"skaffold.yaml: values file {vf} does not exist")
        for key in list(r.get("setValueTemplates", {})) + list(r.get("setValues", {})):
            if not has_path(values, key):
                errors.append(f"skaffold.yaml: set key {key} is not a key of the chart's values.yaml")

for e in dict.fromkeys(errors):
    print("ERROR:", e)
if errors:
    sys.exit(1)
print(f"probes {sorted(routes)} and port {port_default.group(1)} match the api; "
      f"worker commands {sorted(used_commands)} exist; {len(checked)} env names are config properties; "
      f"skaffold: {len(releases)} release entries checked")
EOF
}

check_monitoring() {
  # The PrometheusRule and the Grafana dashboard: every expression parses as PromQL, the alerts
  # and their runbook sections in docs/monitoring.md match, the dashboard ConfigMap holds the
  # chart's dashboard file as valid JSON. test/monitoring.e2e-spec.ts checks the slack_metrics_*
  # names against what the API exports, reading them from the two source files; this check makes
  # sure every rendered name is written literally there.
  render "$CHART/ci/full-values.yaml" >"$WORK/monitoring.yaml" || return 1
  "$PY" - "$WORK/monitoring.yaml" <<'EOF'
import json, pathlib, re, sys, yaml
import promql_parser as promql

CHART = pathlib.Path("charts/slack-metrics")
EXPECTED_ALERTS = {
    "SlackMetricsDatabaseNotReady", "SlackMetricsHigh5xxRate", "SlackMetricsMetricsAbsent",
    "SlackMetricsCollectionStale", "SlackMetricsCollectionFailingChannels", "SlackMetricsAggregationFailing",
}
errors = []
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]

def metric_names(expr):
    names = []
    def visit(node):
        if isinstance(node, promql.VectorSelector) and node.name:
            names.append(node.name)
        return True
    promql.walk(expr, visit)
    return names

def parse(where, text):
    try:
        return promql.parse(text)
    except Exception as e:  # the parser raises plain exceptions carrying the reason
        errors.append(f"{where}: not valid PromQL ({e}): {text.strip()}")
        return None

# GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
guide = pathlib.Path("docs/monitoring.md")
anchors = set()
if guide.is_file():
    for line in guide.read_text().splitlines():
        m = re.match(r"^#{1,6}\s+(.*?)\s*$", line)
        if m:
            anchors.add(re.sub(r"[^a-z0-9 _-]", "", m.group(1).lower()).replace(" ", "-"))
else:
    errors.append("docs/monitoring.md is missing")

# 1. The PrometheusRule.
rule_source = (CHART / "templates/prometheusrule.yaml").read_text()
rules = [r for d in docs if d["kind"] == "PrometheusRule" for g in d["spec"]["groups"] for r in g["rules"]]
alerts = {r.get("alert") for r in rules}
if alerts != EXPECTED_ALERTS:
    errors.append(f"alerts {sorted(alerts)} differ from {sorted(EXPECTED_ALERTS)}")
for r in rules:
    name = r.get("alert", "?")
    expr = parse(name, r.get("expr", ""))
    for n in metric_names(expr) if expr else []:
        if n.startswith("slack_metrics_") and n not in rule_source:
            errors.append(f"{name}: {n} is not written literally in templates/prometheusrule.yaml")
    try:
        promql.parse_duration(str(r.get("for", "")))
    except Exception:
        errors.append(f"{name}: `for: {r.get('for')}` is not a duration")
    if r.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
        errors.append(f"{name}: severity label {r.get('labels', {}).get('severity')!r}")
    ann = r.get("annotations", {})
    for key in ("summary", "description", "runbook_url"):
        if not ann.get(key):
            errors.append(f"{name}: no {key} annotation")
    fragment = ann.get("runbook_url", "").partition("#")[2]
    if fragment != name.lower():
        errors.append(f"{name}: runbook_url anchor #{fragment} should be #{name.lower()}")
    elif guide.is_file() and fragment not in anchors:
        errors.append(f"{name}: docs/monitoring.md has no section #{fragment}")

# 2. The dashboard ConfigMap and JSON.
source = (CHART / "dashboards/slack-metrics.json").read_text()
maps = [d for d in docs if d["kind"] == "ConfigMap" and "slack-metrics.json" in d.get("data", {})]
if len(maps) != 1:
    errors.append(f"expected one dashboard ConfigMap, found {len(maps)}")
elif maps[0]["data"]["slack-metrics.json"].strip() != source.strip():
    errors.append("the dashboard ConfigMap does not hold dashboards/slack-metrics.json as it is")
dashboard = json.loads(source)
variables = {v["name"] for v in dashboard["templating"]["list"]}

def grafana_to_promql(where, expr):
    # Grafana interpolates its variables before Prometheus sees the query.
    for used in re.findall(r"\$\{?(\w+)\}?", expr):
        if not used.startswith("__") and used not in variables:
            errors.append(f"{where}: ${used} is not a template variable")
    return re.sub(r"\$\{?(\w+)\}?", lambda m: "5m" if m.group(1) == "__rate_interval" else "x", expr)

count = 0
for panel in dashboard["panels"]:
    for t in panel.get("targets", []):
        count += 1
        where = f'dashboard panel "{panel["title"]}"'
        parse(where, grafana_to_promql(where, t["expr"]))
for v in dashboard["templating"]["list"]:
    if v["type"] != "query":
        continue
    where = f"dashboard variable {v['name']}"
    m = re.fullmatch(r"label_values\((.*),\s*\w+\)", v["query"]["query"])
    if not m:
        errors.append(f"{where}: unexpected query {v['query']['query']}")
    else:
        parse(where, grafana_to_promql(where, m.group(1)))

for e in dict.fromkeys(errors):
    print("ERROR:", e)
if errors:
    sys.exit(1)
print(f"{len(rules)} alerts parse and have runbook sections in docs/monitoring.md; "
      f"{count} dashboard queries parse; the dashboard ConfigMap holds the chart's JSON")
EOF
}

run "shellcheck (scripts)" check_shellcheck
run "hadolint (Dockerfile)" check_hadolint
run "yamllint (skaffold, workflows, values)" check_yamllint
run "helm lint --strict (every values set)" check_helm_lint
run "values.schema.json rejects invalid values" check_schema_rejects_bad_values
run "ct lint" check_ct_lint
run "kubeconform -strict (Kubernetes ${KUBE_VERSIONS[*]})" check_kubeconform
run "helm-unittest" check_unittest
run "kube-score (cloud values)" check_kube_score
run "helm-docs drift and value descriptions" check_helm_docs
run "actionlint" check_actionlint
run "make-secrets" check_make_secrets
run "chart <-> code cross-checks" check_cross
run "monitoring: alert and dashboard PromQL, runbooks" check_monitoring

printf '\n==> summary (%ss)\n' "$(( $(date +%s) - START ))"
for p in "${PASSED[@]}"; do printf '    ok      %s\n' "$p"; done
for f in "${FAILED[@]}"; do printf '    FAILED  %s\n' "$f"; done
printf 'chart: %d passed, %d failed\n' "${#PASSED[@]}" "${#FAILED[@]}"
[[ ${#FAILED[@]} -eq 0 ]]
