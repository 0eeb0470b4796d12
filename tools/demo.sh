#!/bin/sh
# make demo: the whole product, offline. Starts torq-sim with a state
# file; validate, plan, apply, plan and apply again (no change) on the
# example manifest; a change made by hand in Torq caught by a drift check
# and repaired; the organisation report; the workspace exported and that
# export planned (no change). Stops the emulator, leaving its state.
set -eu
bin=${BINDIR:-bin}
demo=build/demo
rm -rf "$demo"
mkdir -p "$demo"
cp -R manifests "$demo/"
mkdir -m 700 "$demo/secrets"
(umask 077 && printf '{"client_id": "sim-admin", "client_secret": "sim-admin-secret"}\n' \
	> "$demo/secrets/template.json")

"$bin/torq-sim" --port 0 --state "$demo/torq-sim-state.json" \
	> "$demo/torq-sim.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT INT TERM
i=0
until grep -q 'listening on' "$demo/torq-sim.log" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "demo: torq-sim did not start:" >&2
		cat "$demo/torq-sim.log" >&2
		exit 1
	fi
	sleep 0.1
done
TORQ_ENDPOINT=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$demo/torq-sim.log")
export TORQ_ENDPOINT
# The example's integrations take secrets from the environment.
SLACK_WEBHOOK=https://hooks.slack.example/services/demo
JIRA_TOKEN=demo-jira-token
export SLACK_WEBHOOK JIRA_TOKEN
unset TORQ_CLIENT_ID TORQ_CLIENT_SECRET
tool=$(pwd)/$bin/torq-apply
m=manifests/examples/single-workspace.yaml
key="--credentials secrets/template.json"

bold= plain=
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	bold=$(printf '\033[1m') plain=$(printf '\033[0m')
fi
step() {
	printf '\n%s== %s%s\n$ torq-apply %s\n' "$bold" "$1" "$plain" "$2"
}

cd "$demo"
echo "torq-sim is serving the Torq API at $TORQ_ENDPOINT (workspace 'Template')"
step "validate: check the manifests, offline" "validate manifests/examples/*.yaml"
"$tool" validate manifests/examples/*.yaml
step "plan: what would change in Torq" "plan $m $key"
"$tool" plan $m $key
step "apply: make it so" "apply $m $key --yes"
"$tool" apply $m $key --yes
step "plan again: nothing left to do" "plan $m $key --detailed-exitcode"
"$tool" plan $m $key --detailed-exitcode
step "apply again: no change at all" "apply $m $key --yes"
"$tool" apply $m $key --yes

# Drift: someone changes a user's role in Torq by hand, through the API
# with the new workspace's own key.
id=$(jq -r .client_id secrets/acme.json)
secret=$(jq -r .client_secret secrets/acme.json)
api=$TORQ_ENDPOINT/public/v1alpha
token=$(curl -sf -u "$id:$secret" -d grant_type=client_credentials \
	"$TORQ_ENDPOINT/v1/auth/token" | jq -r .access_token)
bob=$(curl -sf -H "Authorization: Bearer $token" "$api/users" |
	jq -r '.users[] | select(.email == "bob@acme.example") | .id')
viewer=$(curl -sf -H "Authorization: Bearer $token" "$api/roles" |
	jq -r '.roles[] | select(.name == "Viewer") | .id')
printf '\n%s== drift: someone makes bob a Viewer in Torq, by hand%s\n' \
	"$bold" "$plain"
printf '$ curl -X PATCH -H %s %s/users/%s -d %s\n' \
	"'Authorization: Bearer ...'" "$api" "$bob" "'{\"role_id\": \"$viewer\"}'"
curl -sf -X PATCH -H "Authorization: Bearer $token" \
	-H 'Content-Type: application/json' \
	-d "{\"role_id\": \"$viewer\"}" "$api/users/$bob" > /dev/null
step "drift check: the plan shows it and exits 2" \
	"plan $m $key --detailed-exitcode"
rc=0
"$tool" plan $m $key --detailed-exitcode || rc=$?
if [ $rc -ne 2 ]; then
	echo "demo: the drift check exited $rc, not 2" >&2
	exit 1
fi
echo "(exit code 2: the workspace has drifted from its manifest)"
step "apply: put it back" "apply $m $key --yes"
"$tool" apply $m $key --yes

step "report: the organisation's usage figures" "report $key"
"$tool" report $key
step "export: the live workspace as a manifest" \
	"export --out exported/acme.yaml --credentials secrets/acme.json --workspace-name 'acme SOC'"
"$tool" export --out exported/acme.yaml --credentials secrets/acme.json \
	--workspace-name 'acme SOC'
step "plan the export: it matches the workspace" \
	"plan exported/acme.yaml --detailed-exitcode"
"$tool" plan exported/acme.yaml --detailed-exitcode
cd - > /dev/null
kill $sim
wait $sim 2>/dev/null || true
trap - EXIT INT TERM
echo
echo "demo: done. torq-sim's state is in $demo/torq-sim-state.json;"
echo "the new workspace's key in $demo/secrets/acme.json (mode 0600),"
echo "runner install commands in $demo/runners/, the export in $demo/exported/."
