"""Route guards: one role decorator; object checks go through the models' can_* methods."""
from __future__ import annotations

from functools import wraps

from flask import abort, render_template
from flask_login import current_user

from app.accounts.models import ORGANISATION_ROLES, STAFF_ROLES, Role
from app.extensions import login_manager


def role_required(*roles: Role):
    """Let signed-in users with one of the roles through (admin counts as staff); 403 otherwise."""
    allowed = set(roles)
    if Role.STAFF in allowed:
        allowed.add(Role.ADMIN)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def verified_required(view):
    """Signed-in and verified; an unverified organisation member is told why and what comes next."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_verified:
            return render_template("auth/unverified.html"), 403
        return view(*args, **kwargs)
    return wrapped


staff_required = role_required(*STAFF_ROLES)
member_required = role_required(*ORGANISATION_ROLES)  # enterprise and investor members
