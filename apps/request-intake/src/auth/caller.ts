/** The authenticated caller of an API request, from the platform's bearer token. */
export interface Caller {
  accountId: string;
  isOperator: boolean;
}
