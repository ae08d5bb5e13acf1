// The demo's accounts: any username, and every password is `test`. A real app checks a stored password hash here.

export const DEMO_PASSWORD = 'test'

/** Whether `password` is `username`'s password. */
export const passwordOk = (username, password) => typeof username === 'string' && username !== '' && password === DEMO_PASSWORD
