"""Access: permissions and the acting user (permissions), the audit log (audit), password hashes (passwords),
accounts (accounts), login with lockout (lockout), login sessions (sessions).

May import the ground floor only; it is handed the store to write through (``Store`` named for type
checking only), so the store's registry and backups can check and audit through it.
"""
