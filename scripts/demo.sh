#!/usr/bin/env bash
# Runs the whole workflow against a running server, the way the seed guide's shell clients do:
# create a task on the demo tables, upload its table list, execute, poll, fetch files and logs;
# then back up the vector tables, truncate them, restore the backup and check nothing was lost.
#   API_URL=http://localhost:8084 bash scripts/demo.sh      (needs curl and jq; the demo tables: npm run seed:demo)
set -euo pipefail

API_URL="${API_URL:-http://localhost:8084}"
API="$API_URL/api/v0"
AUTH=()
[ -n "${API_TOKEN:-}" ] && AUTH=(-H "Authorization: Bearer $API_TOKEN")
for tool in curl jq; do command -v "$tool" >/dev/null || { echo "demo.sh needs $tool" >&2; exit 2; }; done

call() { curl -sS "${AUTH[@]}" "$@"; }
check() { # fail loudly on an error envelope
  local body="$1" what="$2"
  if [ "$(jq -r '.success' <<<"$body")" != "true" ]; then
    echo "✗ $what: $(jq -c '{code, message, response: .data.response}' <<<"$body")" >&2
    exit 1
  fi
}

started=$(date +%s)
health=$(call "$API/health"); check "$health" "health"
echo "✓ server healthy ($(jq -r '.data.providers.embedding.provider // "?"' <<<"$health") embeddings)"

tables=$(call -X POST "$API/database/tables" -H 'Content-Type: application/json' -d '{"table_name_pattern": "bss_*"}')
check "$tables" "database tables"
count=$(jq -r '.data.total' <<<"$tables")
[ "$count" -gt 0 ] || { echo "✗ no bss_* tables: run npm run seed:demo first" >&2; exit 1; }
echo "✓ $count demo tables"

created=$(call -X POST "$API/data_pipeline/tasks" -H 'Content-Type: application/json' \
  -d '{"task_name": "demo.sh", "business_context": "高速公路服务区管理系统", "db_name": "highway_db"}')
check "$created" "create task"
TASK_ID=$(jq -r '.data.task_id' <<<"$created")
echo "✓ task $TASK_ID created"

list_file=$(mktemp --suffix=.txt)
trap 'rm -f "$list_file"' EXIT
jq -r '.data.tables[] | sub("^public\\."; "")' <<<"$tables" >"$list_file"
uploaded=$(call -X POST "$API/data_pipeline/tasks/$TASK_ID/upload-table-list" -F "file=@$list_file")
check "$uploaded" "upload table list"
echo "✓ table list uploaded ($(jq -r '.data.table_count' <<<"$uploaded") tables)"

check "$(call -X POST "$API/data_pipeline/tasks/$TASK_ID/execute" -H 'Content-Type: application/json' -d '{"execution_mode": "complete"}')" "execute"
while true; do
  detail=$(call "$API/data_pipeline/tasks/$TASK_ID")
  STATUS=$(jq -r '.data.status' <<<"$detail")
  progress=$(jq -r '.data.current_step | if . then "\(.step) \(.progress.done // 0)/\(.progress.total // "?") \(.progress.unit // "")" else "" end' <<<"$detail")
  echo "  任务状态: $STATUS $progress"
  if [[ "$STATUS" == "completed" || "$STATUS" == "failed" || "$STATUS" == "cancelled" ]]; then break; fi
  sleep 2
done
[ "$STATUS" == "completed" ] || { echo "✗ task ended $STATUS: $(jq -r '.data.error_message' <<<"$detail")" >&2; exit 1; }
questions=$(jq -r '.data.result.qa_generation.total_questions' <<<"$detail")
valid=$(jq -r '.data.result.sql_validation.valid_sql_count' <<<"$detail")
loaded=$(jq -r '.data.result.training_load.total_records' <<<"$detail")
echo "✓ task completed: $questions question/SQL pairs, $valid valid, $loaded vectors loaded"

files=$(call "$API/data_pipeline/tasks/$TASK_ID/files"); check "$files" "files"
primary=$(jq -r '.data.files[] | select(.is_primary) | .file_name' <<<"$files")
pairs=$(call "$API_URL$(jq -r '.data.files[] | select(.is_primary) | .download_url' <<<"$files")" | jq 'length')
echo "✓ $(jq -r '.data.files | length' <<<"$files") files; primary $primary holds $pairs pairs"
logs=$(call "$API/data_pipeline/tasks/$TASK_ID/logs?limit=1000"); check "$logs" "logs"
echo "✓ $(jq -r '.data.logs | length' <<<"$logs") log entries over steps: $(jq -r '[.data.logs[].step | select(.)] | unique | join(", ")' <<<"$logs")"

backup=$(call -X POST "$API/data_pipeline/vector/backup" -H 'Content-Type: application/json' -d '{}')
check "$backup" "vector backup"
STAMP=$(jq -r '.data.backup_timestamp' <<<"$backup")
DIR=$(jq -r '.data.backup_directory' <<<"$backup")
rows=$(jq -r '.data.tables_backed_up.langchain_pg_embedding.row_count' <<<"$backup")
echo "✓ backup $STAMP: $rows embeddings in $DIR"

truncated=$(call -X POST "$API/data_pipeline/vector/backup" -H 'Content-Type: application/json' -d '{"truncate_vector_tables": true}')
check "$truncated" "truncate"
echo "✓ embeddings truncated ($(jq -r '.data.truncate_results.langchain_pg_embedding.rows_before' <<<"$truncated") rows removed, after a safety backup)"

restored=$(call -X POST "$API/data_pipeline/vector/restore" -H 'Content-Type: application/json' \
  -d "{\"backup_path\": \"$DIR\", \"timestamp\": \"$STAMP\", \"truncate_before_restore\": true}")
check "$restored" "restore"
back=$(jq -r '.data.restore_results.langchain_pg_embedding.rows_restored' <<<"$restored")
[ "$back" == "$rows" ] || { echo "✗ restored $back rows, expected $rows" >&2; exit 1; }
echo "✓ restored $back embeddings from $STAMP"

echo "demo complete in $(( $(date +%s) - started ))s: task $TASK_ID, backup $STAMP"
