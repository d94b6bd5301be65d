// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from '@testing-library/react';
import { Snippet } from './Snippet';

afterEach(cleanup);

describe('<Snippet>', () => {
  it('renders <mark> and nothing else as markup', () => {
    const { container } = render(
      <Snippet html={'&lt;script&gt;x&lt;/script&gt; <b>raw</b> <img src=x onerror="alert(1)"> the <mark>договор</mark> &amp; more'} />,
    );
    const p = container.querySelector('p.snippet');
    expect(p).not.toBeNull();
    expect(container.querySelectorAll('script, b, img').length).toBe(0);
    const marks = [...container.querySelectorAll('mark')].map((m) => m.textContent);
    expect(marks).toEqual(['договор']);
    expect(p?.textContent).toBe('<script>x</script> <b>raw</b> <img src=x onerror="alert(1)"> the договор & more');
    // Every element inside is a text run or a mark.
    expect([...(p?.querySelectorAll('*') ?? [])].every((el) => el.tagName === 'SPAN' || el.tagName === 'MARK')).toBe(true);
  });
});
