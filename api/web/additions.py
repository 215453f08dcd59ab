"""Articles a curator adds from the web page go into the `web/` folder of the corpus (made ready by
corpus/additions.py, as the bot's are), written through CorpusFolder, the one writer into the
corpus folder."""

from __future__ import annotations

from corpus.additions import NewArticle
from corpus.folder import CorpusFolder

FOLDER = "web"  # under the corpus folder, so what was added here stays together


def write_new(folder: CorpusFolder, new: NewArticle, limit_bytes: int, replace: bool) -> str:
    """Write the article into the corpus folder; an existing id is replaced only when asked."""
    existing = folder.files_of(new.file_id)
    if existing and not replace:
        raise FileExistsError(f"{folder.relative(existing[0])} already holds the article {new.file_id!r}; give "
                              "another id, or tick \"Replace an article with the same id\"")
    path, _, _ = folder.write(new.file_id, new.suffix, new.data, limit_bytes)
    return folder.relative(path)
