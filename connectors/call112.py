from connectors.base import FileConnector


class Call112Connector(FileConnector):
    name = "call112"
    channel = "call112"
