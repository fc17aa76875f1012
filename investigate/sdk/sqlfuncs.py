"""The functions the SQL guard refuses, importable without sqlglot: the SQLite connector's
authorizer asks `is_denied_function` for every call a statement makes, including statements
whose verdict came from the cache (when sqlglot is never loaded)."""

from __future__ import annotations

FORBIDDEN_FUNCTIONS = frozenset(
    {
        # SQLite
        "load_extension",
        "readfile",
        "writefile",
        "edit",
        "fts3_tokenizer",
        "sqlite_compileoption_get",
        "fsdir",
        "zipfile",
        "sqlite_dbpage",
        # PostgreSQL (every pg_* function is denied unless in _PG_ALLOWED below)
        "set_config",
        "nextval",
        "setval",
        "txid_current",
        "query_to_xml",
        "query_to_xmlschema",
        "query_to_xml_and_xmlschema",
        "cursor_to_xml",
        "cursor_to_xmlschema",
        "lowrite",
        "loread",
        "http",
        # MySQL
        "sleep",
        "benchmark",
        "load_file",
        "get_lock",
        "release_lock",
        "release_all_locks",
        "master_pos_wait",
        "source_pos_wait",
        "wait_for_executed_gtid_set",
        "wait_until_sql_thread_after_gtids",
        "last_insert_id",
        "sys_exec",
        "sys_eval",
        # anything that runs a string as SQL or a shell command
        "exec",
        "execute",
        "eval",
    }
)
FORBIDDEN_PREFIXES = (
    "lo_",
    "dblink",
    "pg_advisory",
    "pg_try_advisory",
    "pg_file_",
    "pg_sleep",
    "http_",
    "group_replication_",
    "asynchronous_connection_failover_",
    "audit_log_",
    "keyring_",
    "version_tokens_",
    "service_get_",
    "service_release_",
)
# Read-only pg_* functions a support query may reasonably use; every other pg_* is refused
# (pg_sleep, pg_read_file, pg_ls_dir, pg_notify, pg_terminate_backend, pg_reload_conf, ...).
_PG_ALLOWED = frozenset(
    {
        "pg_typeof",
        "pg_size_pretty",
        "pg_size_bytes",
        "pg_column_size",
        "pg_relation_size",
        "pg_total_relation_size",
        "pg_table_size",
        "pg_indexes_size",
        "pg_database_size",
        "pg_backend_pid",
        "pg_postmaster_start_time",
        "pg_conf_load_time",
        "pg_is_in_recovery",
        "pg_last_xact_replay_timestamp",
        "pg_client_encoding",
        "pg_encoding_to_char",
        "pg_get_viewdef",
        "pg_get_indexdef",
        "pg_get_constraintdef",
        "pg_get_expr",
        "pg_get_userbyid",
        "pg_get_serial_sequence",
        "pg_table_is_visible",
        "pg_type_is_visible",
        "pg_function_is_visible",
        "pg_has_role",
        "pg_input_is_valid",
        "pg_current_xact_id_if_assigned",
        "pg_xact_status",
    }
)


def is_denied_function(name: str) -> bool:
    """True for a function name the guard refuses (case-insensitive, schema stripped)."""
    n = name.rsplit(".", 1)[-1].strip('"`[] ').lower()
    if n in FORBIDDEN_FUNCTIONS or n.startswith(FORBIDDEN_PREFIXES):
        return True
    return n.startswith("pg_") and n not in _PG_ALLOWED
