#!/bin/sh
# make demo: the whole onboarding of a workspace, offline. Starts torq-sim
# with a state file, then validate, plan, apply, plan again on the
# example manifest, and stops the emulator, leaving its state to inspect.
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
echo
echo "(the organisation report, 'torq-apply report', is not built yet: issue 7)"
cd - > /dev/null
kill $sim
wait $sim 2>/dev/null || true
trap - EXIT INT TERM
echo
echo "demo: done. torq-sim's state is in $demo/torq-sim-state.json;"
echo "the new workspace's key in $demo/secrets/acme.json (mode 0600),"
echo "runner install commands in $demo/runners/."
