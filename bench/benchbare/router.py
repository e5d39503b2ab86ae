class BareRouter:
    """The baseline's table lives in the "bare" database; nothing else does."""

    def db_for_read(self, model, **hints):
        return "bare" if model._meta.app_label == "benchbare" else None

    db_for_write = db_for_read

    def allow_migrate(self, db, app_label, **hints):
        if app_label == "benchbare":
            return db == "bare"
        return db != "bare"
