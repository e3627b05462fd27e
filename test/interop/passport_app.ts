import { once } from 'node:events';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import OpenIDConnectStrategy from 'passport-openidconnect';

/**
 * An Express app signing users in with passport-openidconnect, written as its README and
 * docs/integrating.md show: the strategy gets the documented options only (issuer, endpoints from
 * discovery, client id and secret, callback URL, scope). The strategy sends the secret in the body
 * (client_secret_post) and cannot send PKCE, hence the `passport-app` client's registration.
 */
export interface PassportAppSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  callbackUrl: string;
  postLogoutRedirectUri: string;
}

/** What the app keeps in its session about the signed-in user. */
export interface SignedInUser {
  sub: string;
  name: string | undefined;
  /** From userinfo: the strategy fetches it when the verify function takes the userinfo profile. */
  email: unknown;
  acr: string | undefined;
  amr: string[] | undefined;
  idToken: string;
  refreshToken: string;
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  end_session_endpoint: string;
}

interface RefreshedTokens {
  access_token: string;
  refresh_token: string;
}

/**
 * passport-openidconnect has no refresh call; passport-oauth2-refresh, the usual add-on, uses the
 * strategy's OAuth2 client (documented as "protected", for subclasses) exactly like this.
 */
class RefreshingStrategy extends OpenIDConnectStrategy {
  refresh(refreshToken: string): Promise<RefreshedTokens> {
    return new Promise((resolve, reject) => {
      this._oauth2.getOAuthAccessToken(refreshToken, { grant_type: 'refresh_token' }, (err, accessToken, newRefreshToken) => {
        if (err || accessToken === undefined || newRefreshToken === undefined) {
          reject(new Error(`refresh failed: ${JSON.stringify(err)}`));
          return;
        }
        resolve({ access_token: accessToken, refresh_token: newRefreshToken });
      });
    });
  }
}

export interface RunningPassportApp {
  url: string;
  close(): Promise<void>;
}

export async function startPassportApp(settings: PassportAppSettings): Promise<RunningPassportApp> {
  const discovery = (await (await fetch(`${settings.issuer}/.well-known/openid-configuration`)).json()) as Discovery;

  const strategy = new RefreshingStrategy(
    {
      issuer: discovery.issuer,
      authorizationURL: discovery.authorization_endpoint,
      tokenURL: discovery.token_endpoint,
      userInfoURL: discovery.userinfo_endpoint,
      clientID: settings.clientId,
      clientSecret: settings.clientSecret,
      callbackURL: settings.callbackUrl,
      scope: ['email', 'profile'],
    },
    // The nine-argument form: the strategy then calls userinfo and passes its profile first.
    (_issuer: string, uiProfile: object, idProfile: object, context: object, idToken: string | object, _accessToken: string | object, refreshToken: string, _params: unknown, done: OpenIDConnectStrategy.VerifyCallback) => {
      if (typeof idToken !== 'string') {
        done(new Error('the strategy passes the ID token as it was received'));
        return;
      }
      const userinfo = (uiProfile as { _json?: Record<string, unknown> })._json ?? {};
      const { class: acr, methods: amr } = context as { class?: string; methods?: string[] };
      const user: SignedInUser = {
        sub: (idProfile as { id: string }).id,
        name: (uiProfile as { displayName?: string }).displayName,
        email: userinfo['email'],
        acr,
        amr,
        idToken,
        refreshToken,
      };
      done(null, user);
    },
  );

  const passport = new Passport();
  passport.use(strategy);
  passport.serializeUser((user, done) => {
    done(null, user);
  });
  passport.deserializeUser((user: SignedInUser, done) => {
    done(null, user);
  });

  const app = express();
  app.use(session({ secret: 'passport-app-session-secret', resave: false, saveUninitialized: false }));
  app.use(passport.session());

  // @types/passport types authenticate() as `any`; it is Express middleware.
  const signIn = passport.authenticate('openidconnect') as RequestHandler;
  const finishSignIn = passport.authenticate('openidconnect', { failureRedirect: '/login-failed', failureMessage: true }) as RequestHandler;
  app.get('/login', signIn);
  app.get('/login/callback', finishSignIn, (_req, res) => {
    res.redirect('/');
  });
  app.get('/login-failed', (req, res) => {
    res.status(401).json({ messages: (req.session as { messages?: string[] }).messages });
  });
  app.get('/', (req, res) => {
    if (!req.user) res.status(401).json({ signedIn: false });
    else res.json(req.user);
  });
  app.post('/refresh', async (req, res, next) => {
    const user = req.user as SignedInUser | undefined;
    if (!user) {
      res.sendStatus(401);
      return;
    }
    const tokens = await strategy.refresh(user.refreshToken);
    req.login({ ...user, refreshToken: tokens.refresh_token }, (err) => {
      if (err) next(err);
      else res.json(tokens);
    });
  });
  // RP-initiated logout: end the app's session, then the provider's (passport has no helper for it).
  app.get('/logout', (req, res, next) => {
    const user = req.user as SignedInUser | undefined;
    req.logout((err) => {
      if (err) {
        next(err);
        return;
      }
      const endSession = new URL(discovery.end_session_endpoint);
      if (user) endSession.searchParams.set('id_token_hint', user.idToken);
      endSession.searchParams.set('post_logout_redirect_uri', settings.postLogoutRedirectUri);
      res.redirect(endSession.href);
    });
  });
  // Errors reach the test as JSON: a token error carries the provider's `error` code.
  app.use((err: Error & { code?: string }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: err.message, code: err.code });
  });

  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
