DROP TABLE api_keys;
DROP TABLE clients;
DROP TABLE tenants;
