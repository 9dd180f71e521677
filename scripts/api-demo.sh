#!/usr/bin/env bash
# Drives the whole Dossier flow with curl and a personal API token:
# create a project, start a generation job, poll it to completion, and list
# (and download) its documents.
#
#   DOSSIER_URL=http://127.0.0.1:3000 DOSSIER_TOKEN=dsr_... scripts/api-demo.sh
#
# Needs curl and jq.
set -euo pipefail

url=${DOSSIER_URL:-http://127.0.0.1:3000}
token=${DOSSIER_TOKEN:?set DOSSIER_TOKEN to a token from: dossier token create --email you@example.com}
out=${DOSSIER_OUT:-}

api() { # method path [json]
	curl -sS --fail-with-body -X "$1" "$url$2" \
		-H "Authorization: Bearer $token" -H "Content-Type: application/json" \
		${3:+--data "$3"}
}

project=$(api POST /api/projects '{
  "name": "Website relaunch",
  "description": "Relaunch the public website on the new design system.",
  "data": {
    "sponsor": "Dana Fox", "manager": "Lee Chen",
    "startDate": "2027-01-04", "endDate": "2027-06-30",
    "budget": {"amount": 250000, "currency": "EUR"},
    "objectives": ["Double organic sign-ups", "Cut page weight by half"],
    "scopeIn": ["Marketing pages", "Blog"], "scopeOut": ["Customer portal"],
    "deliverables": [
      {"name": "Design system", "effortDays": 20},
      {"name": "Page templates", "effortDays": 30},
      {"name": "Content migration", "effortDays": 15}
    ],
    "milestones": [{"name": "Beta", "date": "2027-04-01"}],
    "stakeholders": [{"name": "Dana Fox", "role": "Sponsor", "interest": 5, "influence": 5}],
    "risks": [{"description": "Content not ready", "probability": 4, "impact": 3, "owner": "Lee Chen", "mitigation": "Start migration early"}]
  },
  "companyIntelligencePack": {"companyName": "Acme", "industry": "Retail", "values": ["Clarity"], "toneOfVoice": "Friendly"}
}' | jq -r .id)
echo "project $project"

job=$(api POST /api/generation/jobs "{\"projectId\": \"$project\", \"priority\": \"high\"}" | jq -r .id)
echo "job $job queued"

status=queued
while [[ $status == queued || $status == processing ]]; do
	sleep 1
	view=$(api GET "/api/generation/jobs/$job")
	status=$(jq -r .status <<<"$view")
	echo "  $status $(jq -r '"\(.progress)% (\(.completedDocuments)/\(.totalDocuments)) \(.currentDocument // "")"' <<<"$view")"
done
[[ $status == completed ]] || { echo "job ended $status: $(jq -r .error <<<"$view")" >&2; exit 1; }

echo "artifacts:"
jq -r '.documents[] | "  \(.artifactId)  \(.type)"' <<<"$view"
for id in $(jq -r '.documents[].artifactId' <<<"$view"); do
	api GET "/api/artifacts/$id" | jq -r '"    \(.title) (\(.markdown | length) chars)"'
done
if [[ -n $out ]]; then
	curl -sS --fail -H "Authorization: Bearer $token" -o "$out" "$url/api/generation/jobs/$job/artifacts.zip"
	echo "saved $out"
fi
