import { describe, expect, it } from 'vitest';
import { escapeHtml, html } from './html.ts';

describe('html', () => {
  it('escapes every interpolated value, in content and in attributes', () => {
    const evil = `"><script>alert('x')</script>&\``;
    const page = html`<p title="${evil}">${evil}</p>`.toString();
    expect(page).toBe(
      '<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#96;">' +
        '&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#96;</p>',
    );
    expect(page).not.toContain('<script');
  });

  it('puts fragments made by html in as they are, and lists of them joined', () => {
    const items = ['a<b', 'c'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>`.toString()).toBe('<ul><li>a&lt;b</li><li>c</li></ul>');
  });

  it('writes nothing for null, undefined and false, and numbers as text', () => {
    expect(html`${null}${undefined}${false}${0}${12.5}`.toString()).toBe('012.5');
  });

  it('does not take a string for a fragment, whatever it looks like', () => {
    const pretending = { toString: () => '<b>' } as unknown as string;
    expect(html`${pretending}`.toString()).toBe('&lt;b&gt;');
    expect(escapeHtml('<&>')).toBe('&lt;&amp;&gt;');
  });
});
