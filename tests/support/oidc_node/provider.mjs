// A certified OpenID provider (panva's oidc-provider) on 127.0.0.1, set up as FranceConnect v2
// is: endpoints under the issuer (authorize, token, userinfo, session/end, jwks), code flow,
// client_secret_post, ES256-signed id_token and userinfo (application/jwt), eIDAS acr levels,
// and the authorization response's iss (RFC 9207, always sent by oidc-provider).
//
// The tests start it with one JSON argument:
//   {"client_id", "client_secret", "redirect_uri", "post_logout_redirect_uri",
//    "acr": "eidas1" (what the login asserts), "identity": {sub, given_name, ...}}
// It prints {"issuer": "http://127.0.0.1:PORT"} on its first line once it listens.
// The person's login and consent are given at once (no form), as a test needs.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const identity = config.identity;
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signing = { ...privateKey.export({ format: 'jwk' }), kid: 'ec-1', use: 'sig', alg: 'ES256' };
const CLAIMS = ['given_name', 'family_name', 'email', 'birthdate', 'gender', 'birthplace',
                'birthcountry'];

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: [config.redirect_uri],
      post_logout_redirect_uris: [config.post_logout_redirect_uri],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'ES256',
      userinfo_signed_response_alg: 'ES256',
    }],
    jwks: { keys: [signing] },
    acrValues: ['eidas0', 'eidas1', 'eidas2', 'eidas3'],
    claims: { openid: ['sub'], given_name: ['given_name'], family_name: ['family_name'],
              email: ['email'], birthdate: ['birthdate'], gender: ['gender'],
              birthplace: ['birthplace'], birthcountry: ['birthcountry'] },
    features: { devInteractions: { enabled: false }, jwtUserinfo: { enabled: true } },
    routes: { authorization: '/authorize', userinfo: '/userinfo' },
    findAccount: (ctx, sub) => (sub === identity.sub ? {
      accountId: sub,
      claims: () => identity,
    } : undefined),
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: { Session: 600, Interaction: 600, Grant: 600 },
  });
  provider.proxy = false;
  const callback = provider.callback();
  server.on('request', async (req, res) => {
    if (!req.url.startsWith('/interaction/')) {
      callback(req, res);
      return;
    }
    try {
      const details = await provider.interactionDetails(req, res);
      if (process.env.OIDC_DEBUG) process.stderr.write(JSON.stringify(details.prompt) + '\n');
      let result;
      if (details.prompt.name === 'login') {
        result = { login: { accountId: identity.sub, acr: config.acr } };
      } else {
        const grant = new provider.Grant({ accountId: details.session.accountId,
                                           clientId: details.params.client_id });
        grant.addOIDCScope(details.params.scope);
        grant.addOIDCClaims(CLAIMS);
        result = { consent: { grantId: await grant.save() } };
      }
      // The consent keeps the login given just before (prompt=login asks for both at once).
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
    } catch (error) {
      res.statusCode = 500;
      res.end(String(error));
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
