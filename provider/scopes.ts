/** Every scope the provider knows; `admin` is the admin API's (only clients registered with it get it). */
export const SCOPES = ['openid', 'offline_access', 'email', 'profile', 'admin'] as const;
