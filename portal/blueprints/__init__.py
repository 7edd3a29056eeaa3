"""Every blueprint, registered in one place."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from portal.blueprints.admin.views import bp as admin_bp
    from portal.blueprints.assignments.views import bp as assignments_bp
    from portal.blueprints.auth.views import bp as auth_bp
    from portal.blueprints.debtors.views import bp as debtors_bp
    from portal.blueprints.documents.views import bp as documents_bp
    from portal.blueprints.job_orders.views import bp as job_orders_bp
    from portal.blueprints.main.views import bp as main_bp
    from portal.blueprints.maintenance.views import bp as maintenance_bp
    from portal.blueprints.notifications.views import bp as notifications_bp
    from portal.blueprints.purchase_orders.views import bp as purchase_orders_bp
    from portal.blueprints.contracts.views import bp as contracts_bp
    from portal.blueprints.opportunities.views import bp as opportunities_bp

    for bp in (auth_bp, main_bp, admin_bp, debtors_bp, notifications_bp, purchase_orders_bp, maintenance_bp,
               job_orders_bp, assignments_bp, documents_bp, contracts_bp, opportunities_bp):
        app.register_blueprint(bp)

    from portal.blueprints.equipment.service_desk import bp as service_desk_bp
    from portal.blueprints.equipment.views import bp as equipment_bp

    app.register_blueprint(equipment_bp)
    app.register_blueprint(service_desk_bp)
    from portal.blueprints.ops.views import bp as ops_bp

    app.register_blueprint(ops_bp)

    from portal.blueprints.audit_log.views import bp as audit_log_bp

    app.register_blueprint(audit_log_bp)

    from portal.blueprints.sso.views import bp as sso_bp, init_app as init_sso

    app.register_blueprint(sso_bp)
    init_sso(app)

    from portal.blueprints.api_tokens.views import bp as api_tokens_bp

    app.register_blueprint(api_tokens_bp)

    from portal.api import init_app as init_api

    init_api(app)
