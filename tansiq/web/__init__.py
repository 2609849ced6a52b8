"""The node's browser pages: the common operating picture and the assets it needs, all served
from the node itself (nodes are air-gapped; nothing is fetched from the internet)."""

from tansiq.web.pages import mount_static, router

__all__ = ["mount_static", "router"]
