/* The collector's bearer token, from where the function's owner keeps it.
 *
 * Plaintext secrets in environment variables are what Vigil's own posture
 * check warns about, so the token can instead live in AWS Secrets Manager or
 * in SSM Parameter Store (SecureString) and be read once at init with the
 * function role's credentials, signed with SigV4 (libcurl's built-in AWS
 * signing). The value is never logged, at any level.
 *
 * Configuration (environment; for the extension's configuration table):
 *
 * | variable                       | meaning |
 * | ---                            | --- |
 * | `VIGIL_COLLECTOR_TOKEN_SECRET` | Secrets Manager secret id (name or ARN). Its SecretString is
 * the token, or a JSON object whose `token` member is. Needs `secretsmanager:GetSecretValue` (and
 * `kms:Decrypt` for a customer key). | | `VIGIL_COLLECTOR_TOKEN_PARAM`  | SSM parameter name or ARN
 * (SecureString), read WithDecryption. Needs `ssm:GetParameter` (and `kms:Decrypt`). | |
 * `VIGIL_COLLECTOR_TOKEN`        | the token itself (plaintext; the stores above are preferred) |
 * | `VIGIL_AWS_ENDPOINT_URL`       | base URL replacing `https://<service>.<region>.amazonaws.com`
 * (tests, VPC endpoints) |
 *
 * The first one set wins, in the order of the table. Credentials and
 * region come from the Lambda environment: AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (sent as X-Amz-Security-Token),
 * AWS_REGION (or AWS_DEFAULT_REGION); an ARN's own region is used for the
 * call when it names one.
 */
#ifndef TEL_SECRET_STORE_H
#define TEL_SECRET_STORE_H

#include <stddef.h>

#define TEL_SECRET_TIMEOUT_MS 3000 /* one store call, connect included */

/* Resolves the token. 0 with *token set (the caller owns it and frees it
 * with tel_secret_free; NULL when no token is configured), or a negative
 * errno with the reason in err (errn bytes; never the value):
 * -EINVAL (bad configuration, missing credentials or region, a value that
 * cannot be a token), -EACCES (the store refused: 4xx), -EIO (network,
 * 5xx, unreadable reply), -ENOMEM. */
int tel_secret_token(char **token, char *err, size_t errn);

/* Wipes and frees a token; NULL is fine. */
void tel_secret_free(char *token);

#endif
