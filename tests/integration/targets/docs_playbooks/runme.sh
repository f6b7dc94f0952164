#!/usr/bin/env bash
# Every playbook of docs/playbooks/, run the way its guide (docs/guide-*.md) tells a user to: ansible-playbook with
# NEON_API_ENDPOINT and NEON_API_KEY in the environment, the inputs given with -e. After each run the PLAY RECAP's
# changed= and the emulator's state are checked (API writes since the run started, users in the branch database,
# the app's env file). Then check_docs.py checks that each guide quotes its playbooks verbatim, and this script that
# no playbook of docs/playbooks/ went untested.
set -eux -o pipefail

# shellcheck source=SCRIPTDIR/../setup_emulator_tools/lib.sh
source ../setup_emulator_tools/lib.sh
docs=$NEON_COLLECTION/docs
work_dir=${OUTPUT_DIR:?}/docs_playbooks
rm -rf -- "$work_dir"
mkdir -p -- "$work_dir/app"

# As the guides say: the API key and endpoint come from the environment (kept out of this script's trace).
{ set +x; } 2>/dev/null
eval "$(emulator env)"
set -x

script_args=("$@")
declare -A ran=()

# play NAME CHANGED PLAYBOOK [ARGS...]: one run of a docs playbook (a path under docs/playbooks/, or a FQCN), logged in
# $work_dir/NAME.log; CHANGED is the PLAY RECAP's changed= it must report, or "some".
play() {
    local name=$1 want=$2 playbook=$3 path
    shift 3
    path=$playbook
    [[ $playbook == *.yml ]] && path=$docs/playbooks/$playbook
    emulator clear
    ansible-playbook "$path" "${script_args[@]}" "$@" 2>&1 | tee "$work_dir/$name.log"
    check_recap "$name" "$work_dir/$name.log" "$want"
    ran[$playbook]=1
}

better=(demo-project-123456 br-main-123456 better_auth)
stack=(staging-project-123456 br-staging-main-123456 stack)
app_env=$work_dir/app/.env
stack_env=$work_dir/app/stack.env
better_env_names=DATABASE_URL,NEON_AUTH_BASE_URL,NEON_AUTH_JWKS_URL
stack_env_names=DATABASE_URL,NEON_AUTH_JWKS_URL,NEXT_PUBLIC_STACK_PROJECT_ID,NEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY,STACK_SECRET_SERVER_KEY

emulator reset

# ---- guide-setup-auth.md -------------------------------------------------------------------------------------------
play setup-check-first 1 setup-auth.yml -e neon_auth_project_id=demo-project-123456 -e "neon_auth_env_file=$app_env" --check --diff
emulator expect "${better[@]}" "$app_env" writes=0 schema=no env=- mode=-
play setup some setup-auth.yml -e neon_auth_project_id=demo-project-123456 -e "neon_auth_env_file=$app_env"
emulator expect "${better[@]}" "$app_env" writes=+ users=admin@example.com schema=yes env=$better_env_names mode=0600
grep -q 'Neon Auth was enabled on branch br-main-123456' "$work_dir/setup.log"
play setup-again 0 setup-auth.yml -e neon_auth_project_id=demo-project-123456 -e "neon_auth_env_file=$app_env"
emulator expect "${better[@]}" "$app_env" writes=0 users=admin@example.com env=$better_env_names mode=0600
play setup-check 0 setup-auth.yml -e neon_auth_project_id=demo-project-123456 -e "neon_auth_env_file=$app_env" --check --diff
emulator expect "${better[@]}" "$app_env" writes=0
# A legacy Stack Auth project, with the collection's playbook and example variables (the guide's Stack section).
stack_vars=$NEON_COLLECTION/playbooks/vars/neon_auth_setup.stack.example.yml
play stack-setup some community.neon.neon_auth_setup -e "@$stack_vars" -e "neon_auth_env_file=$stack_env"
emulator expect "${stack[@]}" "$stack_env" key_requests=0 users=erin@example.com,frank@example.com,grace@example.com \
    env=$stack_env_names mode=0600
play stack-setup-again 0 community.neon.neon_auth_setup -e "@$stack_vars" -e "neon_auth_env_file=$stack_env"
emulator expect "${stack[@]}" "$stack_env" writes=0

# ---- guide-users-from-ci.md ----------------------------------------------------------------------------------------
users_now=admin@example.com,alice@example.com,bob@example.com,carol@example.com
# mallory is still on the team in an earlier version of the users file
sed 's/state: absent/state: present/' "$docs/playbooks/vars/users.example.yml" >"$work_dir/users-before.yml"
play users-before 1 users-from-ci.yml -e neon_auth_project_id=demo-project-123456 -e "users_file=$work_dir/users-before.yml"
emulator expect "${better[@]}" "$app_env" users=$users_now,mallory@example.com
# the pull request: a dry run shows the removal and writes nothing
play users-pull-request 1 users-from-ci.yml -e neon_auth_project_id=demo-project-123456 --check --diff
emulator expect "${better[@]}" "$app_env" writes=0 users=$users_now,mallory@example.com
grep -q 'Would change: deleted mallory@example.com' "$work_dir/users-pull-request.log"
# the merge
play users-main 1 users-from-ci.yml -e neon_auth_project_id=demo-project-123456
emulator expect "${better[@]}" "$app_env" writes=1 users=$users_now
play users-main-again 0 users-from-ci.yml -e neon_auth_project_id=demo-project-123456
emulator expect "${better[@]}" "$app_env" writes=0 users=$users_now

# ---- guide-stack-transfer.md ---------------------------------------------------------------------------------------
play transfer 1 stack-transfer.yml -e neon_auth_project_id=staging-project-123456
emulator expect "${stack[@]}" "$stack_env" writes=1
grep -q '"msg": "Open https://' "$work_dir/transfer.log"
play transfer-again 0 stack-transfer.yml -e neon_auth_project_id=staging-project-123456
emulator expect "${stack[@]}" "$stack_env" writes=0
if grep -q '"msg": "Open https://' "$work_dir/transfer-again.log"; then exit 1; fi
play transfer-lost-url 1 stack-transfer.yml -e neon_auth_project_id=staging-project-123456 -e transfer_force=true
emulator expect "${stack[@]}" "$stack_env" writes=1
grep -q '"msg": "Open https://' "$work_dir/transfer-lost-url.log"
# what the person does in the browser, done here through the emulator's control API (not part of the docs playbook)
emulator complete-transfer staging-project-123456
play transfer-wait 0 stack-transfer.yml -e neon_auth_project_id=staging-project-123456 -e transfer_wait=true
emulator expect "${stack[@]}" "$stack_env" writes=0
grep -q 'now belongs to your account (owned_by: user)' "$work_dir/transfer-wait.log"

# ---- guide-teardown.md ---------------------------------------------------------------------------------------------
echo 'PORT=3000' >>"$app_env"
# look first: Neon Auth would be disabled and the env file edited, and nothing is written
play teardown-check 2 teardown.yml -e neon_auth_project_id=demo-project-123456 -e "neon_auth_env_file=$app_env" --check
emulator expect "${better[@]}" "$app_env" writes=0 schema=yes env=$better_env_names,PORT
play teardown 2 teardown.yml -e neon_auth_project_id=demo-project-123456 -e "neon_auth_env_file=$app_env"
# the users stay in the kept neon_auth schema; the env file keeps DATABASE_URL and the app's own lines
emulator expect "${better[@]}" "$app_env" writes=1 schema=yes users=$users_now env=DATABASE_URL,PORT mode=0600
play teardown-again 0 teardown.yml -e neon_auth_project_id=demo-project-123456 -e "neon_auth_env_file=$app_env"
emulator expect "${better[@]}" "$app_env" writes=0
play teardown-stack 2 teardown.yml -e neon_auth_project_id=staging-project-123456 -e neon_auth_provider=stack \
    -e neon_auth_delete_data=true -e "neon_auth_env_file=$stack_env"
emulator expect "${stack[@]}" "$stack_env" writes=1 schema=no users=- env=DATABASE_URL mode=0600
play teardown-stack-again 0 teardown.yml -e neon_auth_project_id=staging-project-123456 -e neon_auth_provider=stack \
    -e neon_auth_delete_data=true -e "neon_auth_env_file=$stack_env"
emulator expect "${stack[@]}" "$stack_env" writes=0

# ---- every docs playbook ran, and each guide quotes its playbooks as they are ---------------------------------------
for path in "$docs"/playbooks/*.yml; do
    [[ -n ${ran[$(basename "$path")]:-} ]] || { echo "docs/playbooks/$(basename "$path") is not tested here" >&2; exit 1; }
done
"${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}" check_docs.py "$docs"
