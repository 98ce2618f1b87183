"""Files: glovefast's native bundle format (npz + JSON metadata + digest), text and binary word
vector formats, and the recognition of pickles that glovefast never unpickles on its own."""
