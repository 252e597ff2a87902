# bash completion for ngram-count. tests/e2e/test_install.sh checks that
# every long option of --help is here, so the two cannot drift.
_ngram_count()
{
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    local opts="--processes --threads --chunk-size --memory --tmp-dir --max-retries
        --task-timeout --inputs --stall-timeout --format --text --order --only-order --sentence-markers --tokenize
        --count --from-year --to-year --pos --fold-case --min-count --top --sort --normalize
        --by-year --select --select-file --smoothing --plot --output-format
        --pg --pg-table --pg-mode --pg-jobs --lookup --map --reduce --output --strict
        --stats --stats=json --inflate --progress --no-progress --verbose --help --version
        --partitions --partition-dir --merge-partitions --partition --merge-totals"
    case $prev in
    --format) COMPREPLY=($(compgen -W "auto v1 v2 v3 text" -- "$cur")); return ;;
    --tokenize) COMPREPLY=($(compgen -W "space words" -- "$cur")); return ;;
    --count) COMPREPLY=($(compgen -W "match volume both" -- "$cur")); return ;;
    --pos) COMPREPLY=($(compgen -W "keep drop strip" -- "$cur")); return ;;
    --sort) COMPREPLY=($(compgen -W "count ngram" -- "$cur")); return ;;
    --pg-mode) COMPREPLY=($(compgen -W "replace append" -- "$cur")); return ;;
    --inflate) COMPREPLY=($(compgen -W "isal zlib" -- "$cur")); return ;;
    --output-format) COMPREPLY=($(compgen -W "tsv csv jsonl" -- "$cur")); return ;;
    --memory) COMPREPLY=($(compgen -W "256M 1G 4G 25% 50% 75%" -- "$cur")); return ;;
    --order) COMPREPLY=($(compgen -W "1 2 3 4 5 6 7 8 9" -- "$cur")); return ;;
    -o|--output|--normalize|--select-file|--plot|--inputs)
        COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null; return ;;
    --tmp-dir|--partition-dir|--merge-partitions|--merge-totals)
        COMPREPLY=($(compgen -d -- "$cur")); compopt -o filenames 2>/dev/null; return ;;
    -p|--processes|-t|--threads|-c|--chunk-size|--max-retries|--task-timeout|--stall-timeout|\
    --from-year|--to-year|--min-count|--top|--pg|--pg-table|--lookup|--select|--smoothing|\
    --partitions|--partition)
        return ;;
    esac
    if [[ $cur == --*=* ]]; then
        return
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts -p -t -c -o -v -h -V" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
    compopt -o filenames 2>/dev/null
}
complete -F _ngram_count ngram-count
