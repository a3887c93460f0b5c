def where():
    return "sub/dir"
