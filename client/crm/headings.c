/*
 * headings: the column names crm's tables show, marked for translation in
 * the context "heading" (crm_i18n_heading translates them when a table is
 * printed; JSON and CSV keep the names). A new column's name goes here, or
 * its table shows the name as it is. Only xgettext reads this list.
 */
#include "cli.h"

const char *const crm_cli_headings[] = {
	NC_("heading", "access"), NC_("heading", "account"), NC_("heading", "account_id"),
	NC_("heading", "action"), NC_("heading", "active"), NC_("heading", "annual_revenue"),
	NC_("heading", "at"), NC_("heading", "audit_id"), NC_("heading", "billing_address"),
	NC_("heading", "birthday"), NC_("heading", "body"), NC_("heading", "builtin"),
	NC_("heading", "changes"), NC_("heading", "chunk_size"), NC_("heading", "chunks"),
	NC_("heading", "client_addr"),
	NC_("heading", "client_name"), NC_("heading", "client_protocol"),
	NC_("heading", "client_version"), NC_("heading", "content_type"), NC_("heading", "count"),
	NC_("heading", "created_at"), NC_("heading", "created_by"), NC_("heading", "current"), NC_("heading", "custom"),
	NC_("heading", "deleted_at"), NC_("heading", "description"),
	NC_("heading", "display_name"), NC_("heading", "do_not_contact"),
	NC_("heading", "email"), NC_("heading", "employees"), NC_("heading", "expires_at"),
	NC_("heading", "external_id"), NC_("heading", "family_name"),
	NC_("heading", "filterable"), NC_("heading", "given_name"), NC_("heading", "id"),
	NC_("heading", "individual"), NC_("heading", "industry"), NC_("heading", "kind"),
	NC_("heading", "label"), NC_("heading", "last_login_at"),
	NC_("heading", "last_used_at"), NC_("heading", "legal_name"), NC_("heading", "locale"),
	NC_("heading", "managers"), NC_("heading", "manages"),
	NC_("heading", "marketing_opt_out"), NC_("heading", "members"), NC_("heading", "name"),
	NC_("heading", "name_order"), NC_("heading", "new_values"),
	NC_("heading", "old_values"), NC_("heading", "owner"), NC_("heading", "parent"),
	NC_("heading", "parent_id"), NC_("heading", "path"), NC_("heading", "permissions"),
	NC_("heading", "phone"), NC_("heading", "position"), NC_("heading", "preferences"),
	NC_("heading", "preferred_channel"), NC_("heading", "protocol"),
	NC_("heading", "record"), NC_("heading", "record_id"), NC_("heading", "record_name"),
	NC_("heading", "record_type"), NC_("heading", "region"), NC_("heading", "request_id"),
	NC_("heading", "required"), NC_("heading", "role"), NC_("heading", "rtt"),
	NC_("heading", "rtt_avg"), NC_("heading", "rtt_max"), NC_("heading", "rtt_min"),
	NC_("heading", "rtt_ms"), NC_("heading", "schema_version"), NC_("heading", "scope"),
	NC_("heading", "seq"), NC_("heading", "server_protocol"), NC_("heading", "sha256"),
	NC_("heading", "server_version"), NC_("heading", "session_id"),
	NC_("heading", "shared_at"), NC_("heading", "shared_by"),
	NC_("heading", "shipping_address"), NC_("heading", "size"), NC_("heading", "sortable"), NC_("heading", "tags"),
	NC_("heading", "team"), NC_("heading", "team_id"), NC_("heading", "tier"),
	NC_("heading", "time_zone"), NC_("heading", "title"), NC_("heading", "total"),
	NC_("heading", "total_capped"), NC_("heading", "type"), NC_("heading", "updated_at"),
	NC_("heading", "user"), NC_("heading", "user_id"), NC_("heading", "username"),
	NC_("heading", "users"), NC_("heading", "value"), NC_("heading", "version"),
	NC_("heading", "website"),
	/* interactions and tasks */
	NC_("heading", "account_name"), NC_("heading", "all_day"), NC_("heading", "assignee"),
	NC_("heading", "completed_at"), NC_("heading", "contact"), NC_("heading", "contact_id"),
	NC_("heading", "contact_name"), NC_("heading", "direction"), NC_("heading", "due_at"),
	NC_("heading", "duration"), NC_("heading", "occurred_at"), NC_("heading", "outcome"),
	NC_("heading", "priority"), NC_("heading", "remind_at"), NC_("heading", "status"),
	NC_("heading", "subject"),
	/* the timeline */
	NC_("heading", "summary"), NC_("heading", "who"),
	NULL,
};
