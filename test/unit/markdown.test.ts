/**
 * Outside text in GitHub Markdown: escaped so links, images, HTML, emphasis, mentions and
 * references do not come alive, and code spans, code blocks and table cells that no
 * content can close or split.
 */
import { describe, expect, it } from "vitest";
import { codeBlock, codeSpan, escapeMarkdown, tableCell } from "../../lib/markdown.ts";

const ZWSP = "\u200b";

describe("escapeMarkdown", () => {
  it("escapes links, images and HTML so they render as their text", () => {
    expect(escapeMarkdown("![x](http://evil/p.png)")).toBe(
      "\\!\\[x\\]\\(http\\:\\/\\/evil\\/p\\.png\\)",
    );
    expect(escapeMarkdown("<img src=x onerror=alert(1)>")).toBe(
      "\\<img src\\=x onerror\\=alert\\(1\\)\\>",
    );
    expect(escapeMarkdown("*bold* _it_ `code` ~~s~~ a|b &amp;")).toBe(
      "\\*bold\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~ a\\|b \\&amp\\;",
    );
  });

  it("breaks @mentions and #references with a zero-width space, leaving lone signs alone", () => {
    expect(escapeMarkdown("ping @octocat and @org/team about #12")).toBe(
      `ping \\@${ZWSP}octocat and \\@${ZWSP}org\\/team about \\#${ZWSP}12`,
    );
    expect(escapeMarkdown("a @ b # c")).toBe("a \\@ b \\# c");
  });

  it("keeps the text on one line, so it cannot start a heading or a list", () => {
    expect(escapeMarkdown("ok\n# Heading\r\n- item")).toBe("ok \\# Heading \\- item");
  });

  it("leaves letters, digits, spaces and non-ASCII text as they are", () => {
    expect(escapeMarkdown("maduro 12 fotos ñandú")).toBe("maduro 12 fotos ñandú");
  });
});

describe("codeSpan", () => {
  it("wraps plain text in single backticks", () => {
    expect(codeSpan("verde/1.jpg")).toBe("`verde/1.jpg`");
  });

  it("uses a fence longer than any backtick run inside, padded where the text touches it", () => {
    expect(codeSpan("a`b")).toBe("``a`b``");
    expect(codeSpan("``x")).toBe("``` ``x ```");
    expect(codeSpan("x`")).toBe("`` x` ``");
    expect(codeSpan(" lead")).toBe("`  lead `");
  });

  it("keeps links, mentions and HTML inert by keeping them inside the span, on one line", () => {
    expect(codeSpan("[a](http://e) @me <b>\nnext")).toBe("`[a](http://e) @me <b> next`");
  });
});

describe("codeBlock", () => {
  it("fences with at least three backticks, more than any run in the text", () => {
    expect(codeBlock("plain")).toBe("```\nplain\n```");
    expect(codeBlock("a\n```\n# not a heading")).toBe("````\na\n```\n# not a heading\n````");
  });
});

describe("tableCell", () => {
  it("escapes pipes, also inside code spans, and keeps the cell on one line", () => {
    expect(tableCell(codeSpan("a|b"))).toBe("`a\\|b`");
    expect(tableCell("x\ny|z")).toBe("x y\\|z");
  });
});
