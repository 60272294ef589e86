#!/usr/bin/env python3
"""Checks a hellotrace HTML report (or Chromium's DOM of it) with html5lib.

usage: check_html.py FILE EXPECTED_TITLE [strict]
Prints one line per problem and exits 1 when there is any; exit 3 when html5lib is
missing. 'strict' makes any HTML parse error a problem (for our own output; the DOM
Chromium serializes is parsed leniently)."""
import sys

try:
    import html5lib
except ImportError:
    print("html5lib missing (apt-get install python3-html5lib)")
    sys.exit(3)

path, title = sys.argv[1], sys.argv[2]
strict = len(sys.argv) > 3 and sys.argv[3] == "strict"
data = open(path, "rb").read()
problems = []
parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False)
doc = parser.parse(data)
if strict:
    for pos, code, info in parser.errors:
        problems.append("parse error at %s: %s %s" % (pos, code, info))
for el in doc.iter():
    tag = el.tag if isinstance(el.tag, str) else ""
    local = tag.split("}")[-1].lower()
    if local in ("script", "iframe", "object", "embed", "link", "img", "base", "form", "foreignobject", "image"):
        problems.append("forbidden element <%s>" % local)
    for name, value in el.attrib.items():
        n = name.split("}")[-1].lower() if isinstance(name, str) else str(name)
        if n.startswith("on"):
            problems.append("event handler attribute %s=%r on <%s>" % (n, value, local))
        if n in ("src", "srcset", "action", "formaction", "xlink:href", "background", "poster"):
            problems.append("URL attribute %s=%r on <%s>" % (n, value, local))
        if n == "href" and not (value.startswith("#") or value.startswith("https://")):
            problems.append("href not local or https: %r" % value)
        if n == "style" and ("url(" in value.lower() or "expression" in value.lower()):
            problems.append("style with url/expression: %r" % value)
titles = [el for el in doc.iter() if isinstance(el.tag, str) and el.tag.lower() == "title"]
head_titles = [t for t in doc.find("head") if isinstance(t.tag, str) and t.tag.lower() == "title"] if doc.find("head") is not None else []
if len(head_titles) != 1 or (head_titles[0].text or "") != title:
    problems.append("document title is %r, expected %r" % ([t.text for t in head_titles], title))
csp = [m for m in doc.iter("meta") if m.get("http-equiv", "").lower() == "content-security-policy"]
if not csp or "default-src 'none'" not in csp[0].get("content", ""):
    problems.append("no strict Content-Security-Policy meta tag")
for p in problems[:50]:
    print(p)
sys.exit(1 if problems else 0)
