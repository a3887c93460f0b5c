import helper  # a sibling module: the handler's folder is importable


def handler(event, context):
    return helper.where()
