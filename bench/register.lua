-- wrk script: each request registers a new client.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"client_name":"bench","redirect_uris":["https://bench.example/cb"],"scope":"openid offline_access","grant_types":["authorization_code","refresh_token"]}'
