#!/usr/bin/env bash
# The neon_auth role end to end, through the playbook the collection ships (community.neon.neon_auth_setup) with
# its example variables (playbooks/vars/), for both providers: check mode, set up, run again, (Stack: transfer the Stack Auth
# project,) tear down keeping the data, tear down again, set up again, tear down deleting the data, tear down again.
# Each run is its own ansible-playbook process, as a user runs it. Before it, the emulator's request log is cleared;
# after it, run.yml checks neon_auth_result, the request log, the env file and the branch database. Here the PLAY
# RECAP is checked: a converged run must report changed=0, and since no check task ever reports a change, that means
# every task of the role. Bad role input is tested in bad_input.yml.
set -eux -o pipefail

# shellcheck source=SCRIPTDIR/../setup_emulator_tools/lib.sh
source ../setup_emulator_tools/lib.sh
config=$NEON_CONFIG
collection=$NEON_COLLECTION

work_dir=${OUTPUT_DIR:?}/neon_auth_role
rm -rf -- "$work_dir"
mkdir -p -- "$work_dir"

# The arguments ansible-test gives this script (-v...), for every ansible-playbook run.
script_args=("$@")

# run_role NAME EXPECT CHANGED [ARGS...]: one run of the role with the example variables of $provider, checked by
# tasks/check_EXPECT.yml; CHANGED is how many tasks must report a change (the PLAY RECAP's changed=), or "some" (at least one).
run_role() {
    local name=$1 expect=$2 want=$3
    shift 3
    emulator clear
    ansible-playbook run.yml "${script_args[@]}" -e "@$config" -e "@$example" -e "@vars/$provider.yml" \
        -e "expect=$expect" -e "work_dir=$work_dir" -e "run_name=$name" "$@" 2>&1 | tee "$work_dir/$name.log"
    check_recap "$name" "$work_dir/$name.log" "$want"
}

emulator reset

for provider in better_auth stack; do
    example=$collection/playbooks/vars/neon_auth_setup.example.yml
    [[ $provider == stack ]] && example=$collection/playbooks/vars/neon_auth_setup.stack.example.yml

    # check mode on a project without Neon Auth: only the integration can be planned, nothing is written
    run_role "$provider-check" check-fresh 1 --check --diff
    # the integration, the configuration (Better Auth), the users and the env file
    run_role "$provider-create" created some
    run_role "$provider-again" unchanged 0
    if [[ $provider == stack ]]; then
        # the role hands the Stack Auth project over: once, then never again, then it sees the confirmation
        run_role stack-transfer transfer-started 1 -e neon_auth_transfer=true
        run_role stack-transfer-again transfer-pending 0 -e neon_auth_transfer=true
        # what the person does in the browser with the URL
        emulator complete-transfer staging-project-123456
        run_role stack-transfer-wait transfer-finished 0 -e neon_auth_transfer=true -e neon_auth_transfer_wait=true
    fi
    # the users, then the integration; the schema stays
    run_role "$provider-teardown" removed 2 -e neon_auth_state=absent
    run_role "$provider-teardown-again" gone 0 -e neon_auth_state=absent
    # the integration and the users again; the env file changes only when the new integration's values differ
    run_role "$provider-create-again" recreated some
    # the integration only: its removal drops the schema with every user
    run_role "$provider-teardown-delete-data" removed 1 -e neon_auth_state=absent -e neon_auth_delete_data=true
    run_role "$provider-teardown-delete-data-again" gone 0 -e neon_auth_state=absent -e neon_auth_delete_data=true
done

ansible-playbook bad_input.yml "${script_args[@]}" -e "@$config"
