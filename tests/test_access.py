"""The access matrix: every route, for anonymous, each role and an unverified organisation member."""
import io

import pytest

from app.extensions import db
from app.projects import operations as project_operations
from app.projects.models import ProjectStatus

ROLES = ["anonymous", "clinician", "enterprise", "investor", "unverified", "staff", "admin", "institution",
         "unconfirmed"]  # unconfirmed: a clinician their hospital has not confirmed yet

# endpoint → (method, url template, {role: status}); "*" is the default for roles not named.
# The clinician here is not the project's owner: owners are covered in test_projects_web.py. "unconfirmed" is a
# clinician whose hospital has not confirmed them: their own drafts only, nothing of the library (404 where a
# confirmed clinician is told 403: they may not learn that the project exists).
MATRIX = {
    "main.index": ("GET", "/", {"anonymous": 200, "*": 302}),
    "main.set_language": ("GET", "/lang/en", {"*": 302}),
    "main.health": ("GET", "/healthz", {"*": 200}),
    "main.help_page": ("GET", "/help", {"*": 200}),
    "showcase.index": ("GET", "/showcase/", {"*": 200}),
    "static": ("GET", "/static/css/app.css", {"*": 200}),
    "bootstrap.static": ("GET", "/bootstrap/static/css/bootstrap.min.css", {"*": 200}),
    "auth.login": ("GET", "/auth/login", {"anonymous": 200, "*": 302}),
    "auth.logout": ("POST", "/auth/logout", {"*": 302}),
    "auth.sign_out_everywhere": ("POST", "/auth/sign-out-everywhere", {"*": 302}),
    "auth.register": ("GET", "/auth/register", {"*": 200}),
    "auth.register_clinician": ("GET", "/auth/register/clinician", {"*": 200}),
    "auth.register_organisation": ("GET", "/auth/register/organisation", {"*": 200}),
    "auth.change_password": ("GET", "/auth/password", {"anonymous": 302, "*": 200}),
    "auth.forgot_password": ("GET", "/auth/forgot", {"*": 200}),
    "auth.reset_password": ("GET", "/auth/reset/not-a-token", {"*": 302}),
    "projects.mine": ("GET", "/projects/", {"unconfirmed": 200, "anonymous": 302, "clinician": 200, "*": 403}),
    "projects.new": ("GET", "/projects/new", {"unconfirmed": 200, "anonymous": 302, "clinician": 200, "*": 403}),
    "projects.edit": ("GET", "/projects/{pid}/edit", {"unconfirmed": 404, "anonymous": 302, "clinician": 403, "*": 403}),
    "projects.detail": ("GET", "/projects/{pid}", {"unconfirmed": 404, "anonymous": 302, "clinician": 302, "enterprise": 302,
                                                   "investor": 302, "unverified": 404, "staff": 200, "admin": 200,
                                                   "institution": 302, "*": 0}),
    # autosave (JSON): an empty body is refused (400); another's project is not there (404)
    "projects.autosave_new": ("POST", "/projects/autosave", {"unconfirmed": 400, "anonymous": 302, "clinician": 400,
                                                            "*": 403}),
    "projects.autosave": ("POST", "/projects/{pid}/autosave", {"unconfirmed": 404, "anonymous": 302, "clinician": 404,
                                                               "*": 403}),
    "projects.submit": ("POST", "/projects/{pid}/submit", {"unconfirmed": 404, "anonymous": 302, "clinician": 403, "*": 403}),
    "projects.withdraw": ("POST", "/projects/{pid}/withdraw", {"unconfirmed": 404, "anonymous": 302, "clinician": 403, "*": 403}),
    "projects.upload": ("POST", "/projects/{pid}/attachments", {"unconfirmed": 404, "anonymous": 302, "clinician": 403, "*": 403}),
    "projects.attachment": ("GET", "/projects/{pid}/attachments/{aid}",
                            {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    "projects.attachment_preview": ("GET", "/projects/{pid}/attachments/{aid}/preview",
                                    {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    "projects.delete_attachment": ("POST", "/projects/{pid}/attachments/{aid}/delete",
                                   {"unconfirmed": 404, "anonymous": 302, "*": 403}),
    "review.queue": ("GET", "/review/", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "review.project": ("GET", "/review/{pid}", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    # approving a project that is already published: refused by its state (409), see app/core/errors.py
    "review.act": ("POST", "/review/{pid}/approve", {"anonymous": 302, "staff": 409, "admin": 409, "*": 403}),
    # bulk approve with no project ticked: told so and sent back to the queue
    "review.bulk_approve": ("POST", "/review/bulk-approve", {"anonymous": 302, "staff": 302, "admin": 302, "*": 403}),
    "library.index": ("GET", "/library/", {"unconfirmed": 403, "anonymous": 302, "unverified": 403, "*": 200}),
    "library.detail": ("GET", "/library/{pid}", {"unconfirmed": 403, "anonymous": 302, "unverified": 403, "*": 200}),
    "admin.organisations": ("GET", "/admin/organisations", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "admin.verify_organisation": ("POST", "/admin/organisations/{oid}/verify",
                                  {"anonymous": 302, "staff": 302, "admin": 302, "*": 403}),
    "admin.reject_organisation": ("POST", "/admin/organisations/{oid}/reject",
                                  {"anonymous": 302, "staff": 302, "admin": 302, "*": 403}),
    "admin.users": ("GET", "/admin/users", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    # user and organisation management (issue 15): {oid}'s licence is on file; its member is {uid}
    "organisation.licence": ("GET", "/organisation/{oid}/licence", {"anonymous": 302, "staff": 200, "admin": 200,
                                                                    "*": 404}),
    "admin.change_role": ("POST", "/admin/users/{uid}/role", {"anonymous": 302, "admin": 400, "*": 403}),
    "organisation.upload_licence": ("POST", "/organisation/licence", {"anonymous": 302, "enterprise": 400,
                                                                      "investor": 400, "unverified": 400, "*": 403}),
    "admin.reset_link": ("POST", "/admin/users/{uid}/reset-link", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "admin.deactivate": ("POST", "/admin/users/{uid}/deactivate", {"anonymous": 302, "admin": 302, "*": 403}),
    "admin.reactivate": ("POST", "/admin/users/{uid}/reactivate",  # after deactivate (routes run in this order)
                         {"anonymous": 302, "admin": 302, "*": 403}),
    "admin.new_staff": ("GET", "/admin/users/new", {"anonymous": 302, "admin": 200, "*": 403}),
    # deal flow: the interests belong to organisations none of the role users is a member of
    "deals.mine": ("GET", "/deals/", {"unconfirmed": 403, "anonymous": 302, "unverified": 403, "*": 200}),
    "deals.express": ("POST", "/deals/projects/{pid}/interest", {"unconfirmed": 403, "anonymous": 302, "unverified": 403, "*": 400}),
    "deals.board": ("GET", "/deals/projects/{pid}/board", {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    # staff see every interest (so no 404) but only the parties act on it: the operations refuse with 403
    "deals.accept": ("POST", "/deals/{pending}/accept", {"anonymous": 302, "staff": 403, "admin": 403, "*": 404}),
    "deals.decline": ("POST", "/deals/{pending}/decline", {"anonymous": 302, "staff": 302, "admin": 302, "*": 404}),
    "deals.withdraw": ("POST", "/deals/{pending}/withdraw", {"unconfirmed": 403, "anonymous": 302, "unverified": 403, "staff": 403,
                                                              "admin": 403, "*": 404}),
    "deals.thread": ("GET", "/deals/{iid}", {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    "deals.read": ("POST", "/deals/{iid}/read", {"anonymous": 302, "staff": 403, "admin": 403, "*": 404}),
    "deals.message_attachment": ("GET", "/deals/{iid}/messages/{mid}/attachment",
                                 {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    "deals.message_attachment_preview": ("GET", "/deals/{iid}/messages/{mid}/attachment/preview",
                                         {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    "deals.end": ("POST", "/deals/{iid}/end", {"anonymous": 302, "staff": 400, "admin": 400, "*": 404}),
    "deals.pass_on": ("POST", "/deals/projects/{pid}/pass", {"anonymous": 302, "enterprise": 303, "investor": 303,
                                                             "*": 403}),
    "deals.signing": ("GET", "/deals/{iid}/signing", {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    "deals.confirm": ("POST", "/deals/{iid}/signing/confirm", {"anonymous": 302, "staff": 403, "admin": 403, "*": 404}),
    "deals.dispute": ("POST", "/deals/{iid}/signing/dispute", {"anonymous": 302, "staff": 302, "admin": 302, "*": 404}),
    "deals.contract": ("GET", "/deals/{iid}/contract", {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    "deals.docking": ("GET", "/deals/{signed}/docking", {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    # 附件2 of {signed}: started (not filed) with a stamped scan; the station answers only a filed form (409)
    "deals.acknowledge_docking": ("POST", "/deals/{signed}/docking/acknowledge",
                                  {"anonymous": 302, "staff": 409, "admin": 409, "*": 403}),
    "deals.return_docking": ("POST", "/deals/{signed}/docking/return",
                             {"anonymous": 302, "staff": 409, "admin": 409, "*": 403}),
    "deals.docking_scan": ("GET", "/deals/{signed}/docking/scan", {"anonymous": 302, "staff": 200, "admin": 200,
                                                                    "*": 404}),
    "deals.docking_scan_preview": ("GET", "/deals/{signed}/docking/scan/preview",
                                   {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    "deals.docking_list": ("GET", "/deals/docking-forms", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    # organisation side; {org} is a verified organisation none of the role users belongs to
    "organisation.profile": ("GET", "/organisation/profile", {"anonymous": 302, "enterprise": 200, "investor": 200,
                                                               "unverified": 200, "*": 403}),
    "organisation.detail": ("GET", "/organisation/{org}", {"unconfirmed": 403, "anonymous": 302, "unverified": 403, "*": 200}),
    # members: {member} is {org}'s only (admin) member, {joinreq}/{joinreq2} requests to join {org}, {invite} its
    # invitation; a role user acts on its own organisation, where these are not found; staff act on any
    "organisation.members": ("GET", "/organisation/members", {"anonymous": 302, "enterprise": 200, "investor": 200,
                                                                "unverified": 200, "*": 403}),
    "organisation.invite": ("POST", "/organisation/members/invite", {"anonymous": 302, "enterprise": 400,
                                                                       "investor": 400, "unverified": 400, "*": 403}),
    "organisation.remove_member": ("POST", "/organisation/members/{member}/remove",
                                   {"anonymous": 302, "staff": 409, "admin": 409, "*": 404}),
    "organisation.member_role": ("POST", "/organisation/members/{member}/role",
                                 {"anonymous": 302, "staff": 302, "admin": 302, "*": 404}),
    "organisation.approve_request": ("POST", "/organisation/requests/{joinreq}/approve",
                                     {"anonymous": 302, "staff": 302, "admin": 302, "*": 404}),
    "organisation.decline_request": ("POST", "/organisation/requests/{joinreq2}/decline",
                                     {"anonymous": 302, "staff": 302, "admin": 302, "*": 404}),
    "organisation.cancel_invitation": ("POST", "/organisation/invitations/{invite}/cancel",
                                       {"anonymous": 302, "staff": 302, "admin": 302, "*": 404}),
    # not the invitee: 403; staff cancelled the invitation just before (cancel_invitation), so its link is spent
    "organisation.join": ("GET", "/organisation/join/{invite_token}", {"anonymous": 302, "staff": 302, "admin": 302,
                                                                      "*": 403}),
    "admin.memberships": ("GET", "/admin/memberships", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "intents.intents": ("GET", "/organisation/intents", {"anonymous": 302, "enterprise": 200, "investor": 200,
                                                               "*": 403}),
    "intents.new_intent": ("GET", "/organisation/intents/new", {"anonymous": 302, "enterprise": 200,
                                                                      "investor": 200, "*": 403}),
    "intents.edit_intent": ("GET", "/organisation/intents/{intent}/edit", {"anonymous": 302, "enterprise": 404,
                                                                                 "investor": 404, "*": 403}),
    "intents.intent_status": ("POST", "/organisation/intents/{intent}/status",
                                   {"anonymous": 302, "enterprise": 404, "investor": 404, "*": 403}),
    "demands.index": ("GET", "/demands/", {"unconfirmed": 403, "anonymous": 302, "unverified": 403, "*": 200}),
    "demands.detail": ("GET", "/demands/{intent}", {"unconfirmed": 403, "anonymous": 302, "unverified": 403, "*": 200}),
    # the official forms as Word documents: 附件1 for owner and staff, 附件2 for the signer and staff
    "project_documents.project_form": ("GET", "/documents/projects/{pid}/form.docx",
                               {"anonymous": 302, "staff": 200, "admin": 200, "clinician": 403, "enterprise": 403,
                                "investor": 403, "institution": 403, "*": 404}),
    "docking_documents.docking_form": ("GET", "/documents/docking/{docking}/form.docx",
                               {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    # after signing: {signed_pid} is signed with an open assessment {assessment}, milestone {milestone}
    "incubation.index": ("GET", "/incubation/", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "incubation.project": ("GET", "/incubation/projects/{signed_pid}", {"anonymous": 302, "staff": 200,
                                                                         "admin": 200, "*": 404}),
    # {assessment} is already open on {signed_pid}: a second one is refused (400)
    "incubation.open_assessment": ("POST", "/incubation/projects/{signed_pid}/assessments",
                                   {"anonymous": 302, "staff": 400, "admin": 400, "*": 403}),
    "incubation.start_tracking": ("POST", "/incubation/projects/{signed_pid}/milestones",
                                  {"anonymous": 302, "staff": 302, "admin": 302, "*": 404}),
    "incubation.score": ("POST", "/incubation/assessments/{assessment}/scores",
                         {"anonymous": 302, "staff": 400, "admin": 400, "*": 403}),
    "incubation.complete": ("POST", "/incubation/assessments/{assessment}/complete",
                            {"anonymous": 302, "staff": 400, "admin": 400, "*": 403}),
    "incubation.update_milestone": ("POST", "/incubation/milestones/{milestone}",  # empty: the form again, 400
                                    {"anonymous": 302, "staff": 400, "admin": 400, "*": 404}),
    "incubation.upload_evidence": ("POST", "/incubation/milestones/{milestone}/evidence",
                                   {"anonymous": 302, "staff": 302, "admin": 302, "*": 404}),
    "incubation.evidence": ("GET", "/incubation/evidence/{evidence}", {"anonymous": 302, "staff": 200,
                                                                        "admin": 200, "*": 404}),
    "admin.station_contact": ("GET", "/admin/settings/contact", {"anonymous": 302, "admin": 200, "*": 403}),
    "admin.settings": ("GET", "/admin/settings", {"anonymous": 302, "admin": 200, "*": 403}),
    # report batches to the national review centre (staff) and the audit viewer (admin)
    "reports.index": ("GET", "/reports/", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "reports.new": ("GET", "/reports/new", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "reports.mapping": ("GET", "/reports/mapping", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "reports.detail": ("GET", "/reports/{batch}", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "reports.download": ("GET", "/reports/{batch}/report.xlsx", {"anonymous": 302, "staff": 200, "admin": 200,
                                                                  "*": 403}),
    "audit.index": ("GET", "/admin/audit/", {"anonymous": 302, "admin": 200, "*": 403}),
    "audit.export": ("GET", "/admin/audit/export.xlsx", {"anonymous": 302, "admin": 200, "*": 403}),
    "searches.index": ("GET", "/searches/", {"unconfirmed": 403, "anonymous": 302, "unverified": 403, "*": 200}),
    "searches.save": ("POST", "/searches/", {"unconfirmed": 403, "anonymous": 302, "unverified": 403, "*": 302}),
    "searches.delete": ("POST", "/searches/{saved}/delete", {"unconfirmed": 403, "anonymous": 302, "unverified": 403, "*": 404}),
    "dashboard.index": ("GET", "/dashboard/", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "dashboard.summary_workbook": ("GET", "/dashboard/summary.xlsx", {"anonymous": 302, "staff": 200, "admin": 200,
                                                                      "*": 403}),
    "dashboard.save_improvements": ("POST", "/dashboard/improvements", {"anonymous": 302, "staff": 400, "admin": 400,
                                                                         "*": 403}),  # empty text
    "dashboard.summary_report": ("GET", "/dashboard/summary.docx", {"anonymous": 302, "staff": 200, "admin": 200,
                                                                    "*": 403}),
    "matching.for_you": ("GET", "/matching/for-you", {"anonymous": 302, "enterprise": 200, "investor": 200,
                                                       "*": 403}),
    "matching.board": ("GET", "/matching/board", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "matching.decide_many": ("POST", "/matching/suggestions/bulk", {"anonymous": 302, "staff": 302, "admin": 302,
                                                                     "*": 403}),
    "matching.decide": ("POST", "/matching/suggestions/{suggestion}/dismiss", {"anonymous": 302, "staff": 302,
                                                                                "admin": 302, "*": 403}),
    "matching.classify": ("POST", "/matching/classify", {"unconfirmed": 400, "anonymous": 302, "clinician": 400, "*": 403}),
    # 推进会议: {meeting} is scheduled, with a project and an organisation none of the role users acts for; staff
    # walk it in this order: rebuild and republish, remove the meeting, check in, finish (held), close
    "meetings.index": ("GET", "/meetings/", {"anonymous": 302, "unverified": 403, "unconfirmed": 403, "institution": 403,
                                          "*": 200}),
    "meetings.new": ("GET", "/meetings/new", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "meetings.edit": ("GET", "/meetings/{meeting}/edit", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "meetings.detail": ("GET", "/meetings/{meeting}", {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    "meetings.publish": ("POST", "/meetings/{meeting}/publish", {"anonymous": 302, "staff": 409, "admin": 409,
                                                                 "*": 403}),
    "meetings.cancel": ("POST", "/meetings/{meeting}/cancel", {"anonymous": 302, "staff": 400, "admin": 400, "*": 403}),
    "meetings.upload": ("POST", "/meetings/{meeting}/attachments", {"anonymous": 302, "staff": 400, "admin": 400,
                                                                    "*": 403}),
    "meetings.attachment": ("GET", "/meetings/{meeting}/attachments/{meeting_attachment}",
                            {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    "meetings.invite": ("GET", "/meetings/{meeting}/invite", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "meetings.respond": ("POST", "/meetings/participants/{meeting_project}/respond",
                         {"anonymous": 302, "staff": 400, "admin": 400, "*": 404}),
    "meetings.selection": ("GET", "/meetings/participants/{meeting_project}/selection",
                           {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    "meetings.selections": ("GET", "/meetings/{meeting}/selections", {"anonymous": 302, "staff": 200, "admin": 200,
                                                                       "*": 403}),
    "meetings.pair": ("POST", "/meetings/{meeting}/pairs", {"anonymous": 302, "staff": 400, "admin": 400, "*": 403}),
    "meetings.schedule": ("GET", "/meetings/{meeting}/schedule", {"anonymous": 302, "staff": 200, "admin": 200,
                                                                   "*": 403}),
    "meetings.build": ("POST", "/meetings/{meeting}/schedule/build", {"anonymous": 302, "staff": 302, "admin": 302,
                                                                       "*": 403}),
    "meetings.publish_schedule": ("POST", "/meetings/{meeting}/schedule/publish",
                                  {"anonymous": 302, "staff": 302, "admin": 302, "*": 403}),
    "meetings.add_meeting": ("POST", "/meetings/{meeting}/appointments", {"anonymous": 302, "staff": 400, "admin": 400,
                                                                           "*": 403}),
    "meetings.move_meeting": ("POST", "/meetings/appointments/{meeting_appointment}/move",
                              {"anonymous": 302, "staff": 400, "admin": 400, "*": 403}),
    "meetings.remove_meeting": ("POST", "/meetings/appointments/{meeting_appointment}/remove",
                                {"anonymous": 302, "staff": 302, "admin": 302, "*": 403}),
    "meetings.agenda": ("GET", "/meetings/{meeting}/agenda", {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    "meetings.agenda_docx": ("GET", "/meetings/{meeting}/agenda.docx", {"anonymous": 302, "staff": 200, "admin": 200,
                                                                         "*": 404}),
    "meetings.agenda_ics": ("GET", "/meetings/{meeting}/agenda.ics", {"anonymous": 302, "staff": 200, "admin": 200,
                                                                       "*": 404}),
    "meetings.checkin": ("GET", "/meetings/{meeting}/checkin", {"anonymous": 302, "staff": 200, "admin": 200,
                                                                 "*": 403}),
    "meetings.check_in": ("POST", "/meetings/participants/{meeting_project}/checkin/attend",
                          {"anonymous": 302, "staff": 302, "admin": 302, "*": 403}),
    "meetings.finish": ("POST", "/meetings/{meeting}/finish", {"anonymous": 302, "staff": 302, "admin": 302, "*": 403}),
    "meetings.close": ("POST", "/meetings/{meeting}/close", {"anonymous": 302, "staff": 302, "admin": 302, "*": 403}),
    "meetings.outcome": ("POST", "/meetings/appointments/{meeting_appointment}/outcome",
                         {"anonymous": 302, "*": 404}),
    "meetings.report": ("GET", "/meetings/{meeting}/report", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "notifications.index": ("GET", "/notifications/", {"anonymous": 302, "*": 200}),
    "notifications.read_all": ("POST", "/notifications/read", {"*": 302}),
    "notifications.arrived": ("POST", "/notifications/arrived", {"anonymous": 302, "*": 400}),  # no path given
    "notifications.open_one": ("POST", "/notifications/{nid}/open", {"anonymous": 302, "*": 404}),
    # programme services: public 政策与指南 ({article} published, {event} an open event, {draft_article} a draft)
    "policy.index": ("GET", "/policy/", {"*": 200}),
    "policy.handbook": ("GET", "/policy/handbook", {"*": 200}),
    "policy.article": ("GET", "/policy/{article}", {"*": 200}),
    "policy.attachment": ("GET", "/policy/{article}/attachments/{article_file}", {"*": 200}),
    "policy.register": ("POST", "/policy/{event}/register", {"anonymous": 302, "*": 400}),  # empty form
    "programme.articles": ("GET", "/programme/articles", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "programme.new_article": ("GET", "/programme/articles/new", {"anonymous": 302, "staff": 200, "admin": 200,
                                                                 "*": 403}),
    "programme.edit_article": ("GET", "/programme/articles/{draft_article}/edit",
                               {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "programme.publish_article": ("POST", "/programme/articles/{article}/publish",  # already published: 409
                                  {"anonymous": 302, "staff": 409, "admin": 409, "*": 403}),
    "programme.unpublish_article": ("POST", "/programme/articles/{draft_article}/unpublish",
                                    {"anonymous": 302, "staff": 409, "admin": 409, "*": 403}),
    "programme.upload_attachment": ("POST", "/programme/articles/{draft_article}/attachments",
                                    {"anonymous": 302, "staff": 400, "admin": 400, "*": 403}),
    "programme.delete_attachment": ("POST", "/programme/articles/{article}/attachments/{article_file}/delete",
                                    {"anonymous": 302, "staff": 302, "admin": 302, "*": 403}),
    "programme.registrations": ("GET", "/programme/articles/{event}/registrations",
                                {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "programme.export_registrations": ("GET", "/programme/articles/{event}/registrations.xlsx",
                                       {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "programme.providers": ("GET", "/programme/resources/", {"anonymous": 302, "*": 200}),
    "programme.provider": ("GET", "/programme/resources/{provider}", {"anonymous": 302, "*": 200}),
    "programme.new_provider": ("GET", "/programme/resources/new", {"anonymous": 302, "staff": 200, "admin": 200,
                                                                   "*": 403}),
    "programme.edit_provider": ("GET", "/programme/resources/{provider}/edit",
                                {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    # support requests: {request} a submitted 专利申报 on {pid} with document {request_file}; the role users are
    # not its parties (parties are covered in tests/programme/test_request_access.py)
    "programme.requests": ("GET", "/programme/requests/", {"anonymous": 302, "*": 200}),
    "programme.new_request": ("GET", "/programme/projects/{pid}/requests/new",
                              {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    "programme.request": ("GET", "/programme/requests/{request}", {"anonymous": 302, "staff": 200, "admin": 200,
                                                                   "*": 404}),
    "programme.edit_request": ("POST", "/programme/requests/{request}",  # submitted: no longer editable
                               {"anonymous": 302, "staff": 409, "admin": 409, "*": 404}),
    "programme.upload_document": ("POST", "/programme/requests/{request}/documents",
                                  {"anonymous": 302, "staff": 400, "admin": 400, "*": 404}),
    "programme.document": ("GET", "/programme/requests/{request}/documents/{request_file}",
                           {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    "programme.submit_request": ("POST", "/programme/requests/{request}/submit",
                                 {"anonymous": 302, "staff": 409, "admin": 409, "*": 404}),
    "programme.handle_request": ("POST", "/programme/requests/{request}/accept",
                                 {"anonymous": 302, "staff": 302, "admin": 302, "*": 403}),
    "programme.assign_request": ("POST", "/programme/requests/{request}/assign",
                                 {"anonymous": 302, "staff": 302, "admin": 302, "*": 403}),
    "programme.close_request": ("POST", "/programme/requests/{request}/close",  # a patent closes with its number
                                {"anonymous": 302, "staff": 400, "admin": 400, "*": 403}),
    "programme.comment": ("POST", "/programme/requests/{request}/comments",
                          {"anonymous": 302, "staff": 400, "admin": 400, "*": 404}),
    "programme.from_recommendation": ("POST", "/programme/assessments/{assessment}/requests/pre_review",
                                      {"anonymous": 302, "staff": 400, "admin": 400, "*": 403}),
    # hospitals: the officer's workbench and 院内审核; the role user is an officer of another hospital than the
    # world's {hospital}, which has an officer of its own (so staff do not decide for it either)
    "institution.dashboard": ("GET", "/institution/", {"anonymous": 302, "institution": 200, "*": 403}),
    "institution.settings": ("POST", "/institution/settings", {"anonymous": 302, "institution": 302, "*": 403}),
    "institution.confirm": ("POST", "/institution/affiliations/{affiliation}/confirm", {"anonymous": 302, "*": 403}),
    "institution.reject": ("POST", "/institution/affiliations/{affiliation}/reject", {"anonymous": 302, "*": 403}),
    "institution.review": ("GET", "/institution/projects/{ir_pid}", {"anonymous": 302, "institution": 404, "*": 403}),
    "institution.approve": ("POST", "/institution/projects/{ir_pid}/approve",
                            {"anonymous": 302, "institution": 404, "*": 403}),
    "institution.send_back": ("POST", "/institution/projects/{ir_pid}/return",
                              {"anonymous": 302, "institution": 404, "*": 403}),
    "institutions.index": ("GET", "/admin/institutions/", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "institutions.new": ("GET", "/admin/institutions/new", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "institutions.edit": ("GET", "/admin/institutions/{hospital}/edit", {"anonymous": 302, "staff": 200, "admin": 200,
                                                                         "*": 403}),
    # an empty form: refused with its messages
    "institutions.new_officer": ("POST", "/admin/institutions/{hospital}/officers",
                                 {"anonymous": 302, "staff": 400, "admin": 400, "*": 403}),
    "institutions.affiliations": ("GET", "/admin/institutions/clinicians", {"anonymous": 302, "staff": 200,
                                                                            "admin": 200, "*": 403}),
    "institutions.resolve": ("POST", "/admin/institutions/clinicians/{clinician}/resolve",
                             {"anonymous": 302, "staff": 400, "admin": 400, "*": 403}),
    "notifications.settings": ("GET", "/notifications/settings", {"anonymous": 302, "*": 200}),
}

PDF = b"%PDF-1.4\n% test\n"


@pytest.fixture
def world(make_project, make_user, app):
    from datetime import date

    from werkzeug.datastructures import FileStorage

    from app.core.models import Notification
    from app.deals import operations as interests
    from app.deals import operations as negotiation
    from app.deals import operations as signing

    def pdf(name):
        return FileStorage(io.BytesIO(PDF), filename=name)

    project = make_project(status=ProjectStatus.PUBLISHED)
    signed_project = make_project(status=ProjectStatus.PUBLISHED)
    partner, other, signer = make_user("enterprise"), make_user("investor"), make_user("enterprise")
    with app.test_request_context():
        attachment = project_operations.add_project_attachment(project, project.owner, pdf("附件.pdf"))
        talks = interests.express_interest(project, partner, "意向", ["joint_development"])
        interests.accept_interest(talks, project.owner)
        message = negotiation.post_message(talks, partner, "你好", pdf("方案.pdf"))
        signing.record_agreement(talks, partner, ["joint_development"], 100, date.today(), "摘要", pdf("合同.pdf"))
        pending_interest = interests.express_interest(project, other, "意向", ["tech_transfer"])
        done = interests.express_interest(signed_project, signer, "意向", ["tech_transfer"])
        interests.accept_interest(done, signed_project.owner)
        agreement = signing.record_agreement(done, signer, ["tech_transfer"], 50, date.today(), "摘要", pdf("合同.pdf"))
        signing.confirm_agreement(agreement, signed_project.owner)
        docking = signing.start_docking_form(done, signer)
        signing.upload_docking_scan(docking, signer, pdf("对接表盖章件.pdf"))
        from app.incubation import operations as incubation
        assessment = incubation.open_assessment(signed_project, make_user("staff"))
        milestone = incubation.ensure_milestones(signed_project)[0]
        evidence = incubation.add_evidence(milestone, signer, pdf("检验报告.pdf"))
        from app.reporting import batches as reporting
        batch = reporting.create_batch(reporting.ReportFilters(), make_user("staff"))
        from app.projects.saved_searches import save_search
        saved = save_search(make_user("investor"), "他人的搜索", "痔疮", {})
        from app.suggestions.models import MatchSuggestion
        suggestion = MatchSuggestion(project_id=project.id, organisation_id=other.organisation_id, score=0.5,
                                     public_reasons=["同属分类"], owner_reasons=["同属分类"])
        db.session.add(suggestion)
        db.session.flush()
        from app.deals.operations import create_intent
        intent = create_intent(partner.organisation, partner, {"title": "寻找创面治疗项目", "description": "负压引流"})
        from tests.meetings.world import build_meeting
        meeting = build_meeting(make_user("staff"), project, partner)
        programme = _programme_world(project, make_user("staff"), pdf)
    officer = make_user("institution")
    hospital = officer.affiliation.institution
    hospital.internal_review = True
    pending_clinician = make_user("clinician", confirmed=False, institution=hospital)
    in_review = make_project(status=ProjectStatus.INSTITUTION_REVIEW, owner=make_user("clinician", institution=hospital))
    from app.accounts import operations as memberships
    from app.accounts.models import Role
    joiners = [memberships.register_organisation_member(f"joiner{n}@example.test", "x", "申请人", "13800138000",
                                                        Role.ENTERPRISE, "冒名公司", partner.organisation.uscc)
               for n in (1, 2)]
    join_requests = [memberships.pending_request_of(joiner) for joiner in joiners]
    with app.test_request_context():
        invitation = memberships.invite_member(partner.organisation, partner, "colleague@example.test")
    unverified = make_user("enterprise", verified=False)
    from app.accounts import people
    with app.test_request_context():
        people.upload_licence(unverified.organisation, unverified, pdf("营业执照.pdf"))
    notification = db.session.scalar(db.select(Notification).where(Notification.user_id == project.owner_id))
    db.session.commit()
    return {"pid": project.id, "aid": attachment.id, "oid": unverified.organisation.id, "uid": unverified.id,
            "iid": talks.id, "mid": message.id, "pending": pending_interest.id, "signed": done.id,
            "nid": notification.id, "org": partner.organisation.id, "intent": intent.id, "docking": docking.id,
            "signed_pid": signed_project.id, "assessment": assessment.id, "milestone": milestone.id,
            "evidence": evidence.id, "batch": batch.id, "saved": saved.id, "suggestion": suggestion.id,
            "meeting": meeting["event"].id, "meeting_attachment": meeting["attachment"].id,
            "meeting_project": meeting["project_side"].id, "meeting_appointment": meeting["appointment"].id,
            "hospital": hospital.id, "affiliation": pending_clinician.affiliation.id,
            "clinician": pending_clinician.id, "ir_pid": in_review.id,
            "member": partner.id, "joinreq": join_requests[0].id, "joinreq2": join_requests[1].id,
            "invite": invitation.id, "invite_token": memberships.invitation_token(invitation), **programme}


def _programme_world(project, staff, pdf) -> dict:
    from datetime import datetime, timedelta, timezone

    from app.programme import articles, requests, resources
    from app.programme.models import RequestKind
    article = articles.create_article(staff, {"category": "policy", "title": "实施方案"})
    articles.publish_article(article, staff)
    article_file = articles.add_attachment(article, staff, pdf("实施方案.pdf"))
    draft = articles.create_article(staff, {"category": "faq", "title": "草稿"})
    event = articles.create_article(staff, {"category": "event", "title": "宣贯会", "registration_open": True,
                                            "event_starts_at": datetime.now(timezone.utc) + timedelta(days=9)})
    articles.publish_article(event, staff)
    provider = resources.create_provider(staff, {"name": "省药检院", "kind": "testing"})
    request = requests.open_request(project, project.owner, RequestKind.PATENT, {
        "invention_title": "装置", "patent_type": "invention", "applicants": "医院", "inventors": "林",
        "technical_points": "要点"})
    request_file = requests.add_document(request, project.owner, "disclosure", pdf("交底书.pdf"))
    requests.submit_request(request, project.owner)
    return {"article": article.id, "article_file": article_file.id, "draft_article": draft.id, "event": event.id,
            "provider": provider.id, "request": request.id, "request_file": request_file.id}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(MATRIX) == set(), "add new routes to the access matrix"


@pytest.mark.parametrize("role", ROLES)
def test_access(client, login_as, world, role):
    """One world per role (building it is the slow part); every route is tried and all misses reported."""
    login_as(role)
    misses = []
    # Sign-out is tried last so that it does not end the session for the routes after it.
    for endpoint in sorted(MATRIX, key=lambda e: e in ("auth.logout", "auth.sign_out_everywhere")):
        method, template, expected = MATRIX[endpoint]
        url = template.format(**world)
        status = client.open(url, method=method).status_code
        if status != expected.get(role, expected["*"]):
            misses.append(f"{method} {url} ({endpoint}): {status}, expected {expected.get(role, expected['*'])}")
    assert misses == [], f"as {role}:\n" + "\n".join(misses)
