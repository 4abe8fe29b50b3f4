"""What `make docs` writes: path (relative to the repository) -> text: the OpenAPI and
AsyncAPI documents of every service and the event catalogue."""

from pathlib import Path

from shared.contract_docs.build import (
    ASYNCAPI_DIR,
    CATALOGUE,
    OPENAPI_DIR,
    ServiceContract,
    asyncapi_path,
    document_text,
    openapi_path,
    service_contracts,
)
from shared.contract_docs.catalogue import render_catalogue


def published_documents(contracts: list[ServiceContract]) -> dict[str, str]:
    documents = {str(asyncapi_path(c.service)): document_text(c.asyncapi) for c in contracts}
    documents |= {str(openapi_path(c.service)): document_text(c.openapi) for c in contracts}
    documents[str(CATALOGUE)] = render_catalogue(contracts)
    return documents


def write_documents(root: Path) -> list[str]:
    """Write what changed, remove documents of services that are gone; say what was done."""
    documents = published_documents(service_contracts())
    done = []
    for relative, text in documents.items():
        path = root / relative
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        done.append(f"wrote {relative}")
    for stale in sorted(
        [*(root / ASYNCAPI_DIR).glob("*.json"), *(root / OPENAPI_DIR).glob("*.json")]
    ):
        relative = stale.relative_to(root).as_posix()
        if relative not in documents:
            stale.unlink()
            done.append(f"removed {relative}")
    return done
