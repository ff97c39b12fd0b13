# Sourced by the compat runners: the `--store` value for a suite's server.
#
# POLYQ_COMPAT_STORE picks it: `memory` (the default), `embedded` (a fresh data directory under
# the given work directory, the store `polyq serve` uses by default), or a PostgreSQL URL (a
# fresh schema per server, so suites never see each other's queues).
#
#   compat_store LABEL DIR   prints the value for the server LABEL
compat_store() {
    local label=$1 dir=$2 choice=${POLYQ_COMPAT_STORE:-memory}
    case "$choice" in
        memory) echo memory ;;
        embedded) echo "$dir/data-$label" ;;
        postgres://* | postgresql://*)
            local sep='?'
            [[ "$choice" == *\?* ]] && sep='&'
            echo "${choice}${sep}schema=compat_${label//[^a-z0-9]/_}_$$_$RANDOM"
            ;;
        *)
            echo "POLYQ_COMPAT_STORE must be memory, embedded or a postgres:// URL (got '$choice')" >&2
            return 1
            ;;
    esac
}
