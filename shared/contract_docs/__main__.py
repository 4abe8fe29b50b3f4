"""`make docs`: write the AsyncAPI documents and the event catalogue from the code."""

from shared.contract_docs.documents import write_documents
from shared.settings import REPO_ROOT


def main() -> None:
    done = write_documents(REPO_ROOT)
    print("\n".join(done) if done else "docs are up to date")


if __name__ == "__main__":
    main()
