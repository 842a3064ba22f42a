"""bcd35: the data warehouse of the Steering Committee 35 of Hàm Yên district."""

__version__ = "0.1.0"
