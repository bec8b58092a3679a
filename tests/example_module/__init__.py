"""A throwaway module for the tests: it proves a new app touches only its own folder."""
