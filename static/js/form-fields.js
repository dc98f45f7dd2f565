// Registrar dashboard, New client form: which metadata members have which kind of field, and
// where an error about a member is shown.

/** Members the dashboard sets itself or the server owns; never taken from a document typed or loaded. */
const SERVER_ONLY = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];
const DASHBOARD_SET = ['client_id', 'client_secret'];
export const SKIP = new Set([...SERVER_ONLY, ...DASHBOARD_SET]);

export const TEXT_MEMBERS = ['client_name', 'client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'software_id', 'software_version', 'initiate_login_uri'];
export const LIST_MEMBERS = ['redirect_uris', 'contacts', 'post_logout_redirect_uris', 'request_uris', 'default_acr_values'];
export const L10N_BASES = ['client_name', 'client_uri', 'logo_uri', 'tos_uri', 'policy_uri'];
export const CRYPTO = [
  // member, discovery list, label of the empty option, member it depends on
  ['id_token_signed_response_alg', 'id_token_signing_alg_values_supported', 'Not set (server default, RS256)'],
  ['id_token_encrypted_response_alg', 'id_token_encryption_alg_values_supported', 'Not encrypted'],
  ['id_token_encrypted_response_enc', 'id_token_encryption_enc_values_supported', 'Not set (A128CBC-HS256)', 'id_token_encrypted_response_alg'],
  ['userinfo_signed_response_alg', 'userinfo_signing_alg_values_supported', 'Not signed (plain JSON)'],
  ['userinfo_encrypted_response_alg', 'userinfo_encryption_alg_values_supported', 'Not encrypted'],
  ['userinfo_encrypted_response_enc', 'userinfo_encryption_enc_values_supported', 'Not set (A128CBC-HS256)', 'userinfo_encrypted_response_alg'],
  ['request_object_signing_alg', 'request_object_signing_alg_values_supported', 'Not set'],
  ['request_object_encryption_alg', 'request_object_encryption_alg_values_supported', 'Not encrypted'],
  ['request_object_encryption_enc', 'request_object_encryption_enc_values_supported', 'Not set (A128CBC-HS256)', 'request_object_encryption_alg'],
  ['token_endpoint_auth_signing_alg', 'token_endpoint_auth_signing_alg_values_supported', 'Not set (any advertised)'],
];
export const SELECT_MEMBERS = [...CRYPTO.map((c) => c[0]), 'application_type', 'subject_type'];

/** Where an error naming a member goes when the form did not send that member. */
export const TARGETS = {
  client_name: 'f-client_name', redirect_uris: 'g-redirect_uris', client_uri: 'f-client_uri', logo_uri: 'f-logo_uri',
  tos_uri: 'f-tos_uri', policy_uri: 'f-policy_uri', contacts: 'g-contacts', software_id: 'f-software_id',
  software_version: 'f-software_version', scope: 'g-scope', grant_types: 'g-grant_types', response_types: 'g-response_types',
  token_endpoint_auth_method: 'g-token_endpoint_auth_method', jwks: 'g-keys', jwks_uri: 'g-keys',
  application_type: 'f-application_type', subject_type: 'f-subject_type', initiate_login_uri: 'f-initiate_login_uri',
  post_logout_redirect_uris: 'g-post_logout_redirect_uris', request_uris: 'g-request_uris',
  require_auth_time: 'f-require_auth_time', default_max_age: 'f-default_max_age', default_acr_values: 'g-default_acr_values',
};
for (const [m] of CRYPTO) TARGETS[m] = `f-${m}`;

let seq = 0;
/** A fresh element id. */
export const nextId = (prefix) => `${prefix}-${++seq}`;
