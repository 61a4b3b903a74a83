"""The README stays short and every link in the documentation stays inside the
repository and leads somewhere (issue 22)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_the_readme_is_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250


def test_every_link_stays_in_the_repository_and_resolves():
    broken = []
    for doc in _documents():
        for target in LINK.findall(doc.read_text()):
            path = target.split("#", 1)[0]
            if re.match(r"[a-z]+://", target) or target.startswith("mailto:"):
                broken.append(f"{doc.relative_to(ROOT)}: {target} leaves the repository")
                continue
            if not path:
                continue  # an anchor on the same page
            resolved = (doc.parent / path).resolve()
            if not resolved.is_relative_to(ROOT):
                broken.append(f"{doc.relative_to(ROOT)}: {target} leaves the repository")
            elif not resolved.exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target} does not exist")
    assert not broken, "\n".join(broken)


def test_no_document_points_to_the_shared_folder_beside_the_repository():
    offenders = [
        str(doc.relative_to(ROOT)) for doc in _documents() if "../shared" in doc.read_text()
    ]
    assert not offenders
