# slurm-server.sh: a private one-node Slurm for a test, sourced after lib.sh.
# Starts munged (its own key and socket), slurmctld and slurmd on localhost
# with a slurm.conf in $WORK/slurm (state, spool, logs and pid files there,
# free ports), exports SLURM_CONF for the client commands; slurm_cleanup
# cancels the jobs and stops the daemons by pid. Needs root (SlurmUser=root)
# and tools/setup --test (slurm-wlm, munge).
SLURM_DIR=$WORK/slurm

slurm_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# slurm_stop PIDFILE: TERM, then KILL after 2 s (the state is thrown away).
slurm_stop() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 20); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
}

slurm_cleanup() {
    [ -f "$SLURM_DIR/slurm.conf" ] || return 0
    kill -0 "$(cat "$SLURM_DIR/slurmctld.pid" 2>/dev/null)" 2>/dev/null &&
        timeout 20 scancel --quiet --user "$(id -un)" 2>/dev/null &&
        for _ in $(seq 100); do
            timeout 5 scontrol -o show job 2>/dev/null | grep -qE 'JobState=(RUNNING|COMPLETING)' ||
                break
            sleep 0.1
        done
    slurm_stop "$SLURM_DIR/slurmd.pid"
    slurm_stop "$SLURM_DIR/slurmctld.pid"
    slurm_stop "$SLURM_DIR/munged.pid"
}

# slurm_start: 0 once the node is idle; else 1 with the logs on stderr.
slurm_start() {
    local s=$SLURM_DIR mem
    mkdir -p "$s/state" "$s/spool"
    chmod 700 "$s"
    head -c 1024 /dev/urandom > "$s/munge.key"
    chmod 600 "$s/munge.key"
    munged --force --socket="$s/munge.sock" --key-file="$s/munge.key" \
        --pid-file="$s/munged.pid" --log-file="$s/munged.log" --seed-file="$s/munged.seed" ||
        { cat "$s/munged.log" >&2; return 1; }
    mem=$(($(awk '/^MemTotal/ {print $2}' /proc/meminfo) / 1024))
    # sched/builtin every second: a released dependency starts at once;
    # tasks share the cores (small inputs: the scheduler sets the pace).
    cat > "$s/slurm.conf" <<EOF
ClusterName=ngctest
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$(slurm_free_port)
SlurmdPort=$(slurm_free_port)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$s/munge.sock
StateSaveLocation=$s/state
SlurmdSpoolDir=$s/spool
SlurmctldPidFile=$s/slurmctld.pid
SlurmdPidFile=$s/slurmd.pid
SlurmctldLogFile=$s/slurmctld.log
SlurmdLogFile=$s/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=3600
NodeName=localhost NodeHostname=$(hostname -s) NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
    export SLURM_CONF=$s/slurm.conf
    slurmctld -f "$SLURM_CONF" && slurmd -f "$SLURM_CONF" -N localhost ||
        { cat "$s"/*.log >&2; return 1; }
    for _ in $(seq 150); do
        scontrol -o show node localhost 2>/dev/null | grep -q 'State=IDLE' && return 0
        sleep 0.2
    done
    echo "slurm did not come up:" >&2
    tail -20 "$s"/slurm*.log >&2
    return 1
}
