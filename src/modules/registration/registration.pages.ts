/** The registration pages: small, server-rendered, no scripts. Every interpolated value is escaped. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string);
}

const STYLE = `
  *{box-sizing:border-box}
  body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f5f8;color:#1d2330}
  main{max-width:34rem;margin:3rem auto;padding:2rem 2.25rem;background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(20,30,50,.08)}
  h1{font-size:1.5rem;margin:0 0 .75rem}
  p{margin:.5rem 0 1rem}
  label{display:block;font-weight:600;margin:1rem 0 .25rem}
  input{width:100%;padding:.6rem .75rem;font:inherit;border:1px solid #b9c2d0;border-radius:8px}
  input:focus{outline:2px solid #2f6fed;border-color:#2f6fed}
  button{margin-top:1.5rem;padding:.65rem 1.4rem;font:inherit;font-weight:600;color:#fff;background:#2f6fed;border:0;border-radius:8px;cursor:pointer}
  .error{color:#b42318;font-size:.9rem;margin:.25rem 0 0}
  .note{color:#5b6578;font-size:.9rem}
  .ok{border-left:4px solid #12b76a;padding-left:1rem}
  .bad{border-left:4px solid #f04438;padding-left:1rem}
`;

function page({ title, body }: { title: string; body: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>
`;
}

export function registerFormPage({ email = '', name = '', problems = {}, helpAddress, supportName }: { email?: string; name?: string; problems?: { name?: string; email?: string }; helpAddress: string; supportName: string }): string {
  const error = (text: string | undefined, id: string) => (text ? `<p class="error" id="${id}-error" role="alert">${escapeHtml(text)}</p>` : '');
  return page({
    title: `Register for ${supportName}`,
    body: `<h1>Register for ${escapeHtml(supportName)}</h1>
<p>Use your work address at one of our customers. We will send you a link to confirm it; after that, mail you send to support becomes a ticket.</p>
<form method="post" action="/register">
  <label for="name">Your name</label>
  <input id="name" name="name" autocomplete="name" required maxlength="200" value="${escapeHtml(name)}">
  ${error(problems.name, 'name')}
  <label for="email">Work email</label>
  <input id="email" name="email" type="email" autocomplete="email" required maxlength="254" value="${escapeHtml(email)}">
  ${error(problems.email, 'email')}
  <button type="submit">Send confirmation link</button>
</form>
<p class="note">Trouble signing up? Write to <a href="mailto:${escapeHtml(helpAddress)}">${escapeHtml(helpAddress)}</a>.</p>`,
  });
}

export function messagePage({ title, paragraphs, tone, helpAddress, link }: { title: string; paragraphs: string[]; tone: 'ok' | 'bad'; helpAddress: string; link?: { href: string; text: string } }): string {
  return page({
    title,
    body: `<div class="${tone}"><h1>${escapeHtml(title)}</h1>${paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('')}${link ? `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p>` : ''}</div>
<p class="note">Questions? Write to <a href="mailto:${escapeHtml(helpAddress)}">${escapeHtml(helpAddress)}</a>.</p>`,
  });
}
