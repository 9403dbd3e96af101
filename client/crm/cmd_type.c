/*
 * cmd_type: `crm type list`, the record types the user may read with their
 * labels and the actions the user's role may take on them (RecordTypeList:
 * the metadata a client builds its views from; `crm field list TYPE` has
 * the fields).
 */
#include "cmd_record.h"

int crm_cmd_type_list(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordTypeList tl = CRM__RECORD_TYPE_LIST__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__RecordTypeListReply *l;
	crm_result *r;
	int rc;

	rc = crm_cli_operands(cli, argc, argv, 0, "nothing");
	if (rc != 0)
		return rc;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_TYPE_LIST;
	req.record_type_list = &tl;
	l = crm_cli_request(cli, &req, CRM__RESPONSE__BODY_RECORD_TYPE_LIST, &reply, &rc);
	if (l != NULL) {
		r = crm_rec_result(&crm__record_type_info__descriptor);
		for (size_t i = 0; i < l->n_types; i++)
			crm_rec_add_message(r, &l->types[i]->base);
		rc = crm_cli_print(cli, r, false);
		crm_result_free(r);
	}
	crm_client_reply_free(reply);
	return rc;
}
